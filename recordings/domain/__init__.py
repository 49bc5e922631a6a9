"""Pure domain of call recordings (通话录音): the model, names, retention, access policy, integrity."""
