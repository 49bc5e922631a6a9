"""sms_feedback package."""
