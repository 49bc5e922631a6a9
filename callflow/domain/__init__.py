"""Pure call-flow domain: call records (通话记录), their menu path and dispositions, voice messages."""
