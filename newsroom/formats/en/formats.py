# The readers' pages' own date formats (see articles/jinja.py date()), by
# name. Django's standard names (DATE_FORMAT, ...) keep Django's English
# values, so the admin is unchanged.
STORY_DATETIME_FORMAT = "j F Y, H:i T"  # 2 December 2026, 17:30 PKT
CARD_DATETIME_FORMAT = "j M Y, H:i"  # 2 Dec 2026, 17:30
DAY_MONTH_FORMAT = "j M"  # 2 Dec
TIME_OF_DAY_FORMAT = "H:i"  # 17:30
UPDATE_TIME_FORMAT = "j M, H:i T"  # 2 Dec, 17:30 PKT (a live update)
