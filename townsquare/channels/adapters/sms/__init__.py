"""SMS through a Twilio-style gateway: citizens text the agency's number, staff reply."""
