"""Everything about the telephone provider: the twilio client, pacing, and the gateway through
which all requests go."""
