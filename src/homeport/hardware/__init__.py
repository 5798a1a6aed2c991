"""The box's physical parts: the reset button and the feedback (buzzer, status LED).

Only the interfaces live here so far; the evdev, GPIO and virtual sources arrive with the recovery issue.
"""
