"""Links in e-mails need no sign-in: the unsubscribe link carries the
subscriber's random token; the confirmation link a signed, expiring value
with the token, the chosen alerts and the page's language (applied only
once confirmed)."""

from django.core import signing

SALT = "alerts.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600


def confirm_value(subscriber, wants: dict) -> str:
    return signing.dumps(
        {
            "t": subscriber.token,
            "b": wants["breaking"],
            "d": wants["digest"],
            "l": wants["language"],
        },
        salt=SALT,
        compress=True,
    )


def read_confirm_value(value: str) -> dict | None:
    try:
        data = signing.loads(value, salt=SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    return data
