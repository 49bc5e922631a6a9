"""Pure rules of the asr package: turning a transcript into a draft work order (工单草稿)."""
