# Dates as Pakistani Urdu news sites write them: day, Urdu month name, year
# ("2 دسمبر 2026"), the 24-hour time after an Urdu comma, and no English
# zone abbreviation. Django ships Urdu month names but no Urdu formats.
# Django's format syntax: https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y، H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","

# The readers' pages' own formats (articles/jinja.py date()).
STORY_DATETIME_FORMAT = "j F Y، H:i"  # 2 دسمبر 2026، 17:30
CARD_DATETIME_FORMAT = "j F Y، H:i"
DAY_MONTH_FORMAT = "j F"  # 2 دسمبر
TIME_OF_DAY_FORMAT = "H:i"
UPDATE_TIME_FORMAT = "j F، H:i"  # 2 دسمبر، 17:30
