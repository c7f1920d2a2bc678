# Django's Arabic locale has no short formats; without these, dates would show in the
# US month/day order. Day first, as Arabic-speaking governments write them.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y، g:i A"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y g:i A"
