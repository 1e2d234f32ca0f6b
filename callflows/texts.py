"""Message templates per incident type and language. Dutch first; English for participants who chose it."""

from __future__ import annotations

LANGUAGES = ("nl", "en")

INCIDENT_LABELS = {
    "nl": {
        "burglary": "inbraak",
        "robbery": "overval",
        "hit_and_run": "doorrijden na een aanrijding",
        "violent_crime": "geweldsincident",
        "missing_person": "vermissing",
        "other": "incident",
    },
    "en": {
        "burglary": "burglary",
        "robbery": "robbery",
        "hit_and_run": "hit-and-run",
        "violent_crime": "violent crime",
        "missing_person": "missing person",
        "other": "incident",
    },
}

TEMPLATES = {
    "nl": {
        "alert_voice": "Dit is een bericht van Burgernet, over een {label}. {description}",
        "tipline_voice": "Heeft u iets gezien? Bel dan direct gratis {tipline}.",
        "alert_sms": "Burgernet {label}: {description} Gezien? Bel gratis {tipline}",
        "outcome_voice": "Dit is een bericht van Burgernet. {outcome} Bedankt voor het uitkijken.",
        "outcome_sms": "Burgernet: {outcome} Bedankt voor het uitkijken.",
        "tipline_welcome": "Welkom bij de tiplijn van Burgernet.",
        "tipline_menu": ("Toets 1 om verbonden te worden met de meldkamer. "
                         "Toets 2 om een bericht in te spreken."),
        "tipline_connecting": "U wordt verbonden met de meldkamer.",
        "tipline_record": "Spreek na de toon uw tip in. Hang op als u klaar bent.",
        "tipline_nobody": "Er is nu niemand beschikbaar.",
        "tipline_thanks": "Dank u wel voor uw tip. Tot ziens.",
        "sms_tip_thanks": "Burgernet: bedankt voor uw tip.",
        "sms_stopped": "Burgernet: u ontvangt geen berichten meer. Sms START om u weer aan te melden.",
        "sms_started": "Burgernet: u ontvangt weer berichten van Burgernet.",
    },
    "en": {
        "alert_voice": "This is a message from Burgernet, about a {label}. {description}",
        "tipline_voice": "Have you seen anything? Call {tipline} free of charge right away.",
        "alert_sms": "Burgernet {label}: {description} Seen anything? Call free {tipline}",
        "outcome_voice": "This is a message from Burgernet. {outcome} Thank you for looking out.",
        "outcome_sms": "Burgernet: {outcome} Thank you for looking out.",
        "tipline_welcome": "Welcome to the Burgernet tip line.",
        "tipline_menu": ("Press 1 to be connected to the control room. "
                         "Press 2 to leave a message."),
        "tipline_connecting": "Connecting you to the control room.",
        "tipline_record": "Leave your tip after the tone. Hang up when you are done.",
        "tipline_nobody": "Nobody is available right now.",
        "tipline_thanks": "Thank you for your tip. Goodbye.",
        "sms_tip_thanks": "Burgernet: thank you for your tip.",
        "sms_stopped": "Burgernet: you will receive no more messages. Text START to sign up again.",
        "sms_started": "Burgernet: you will receive Burgernet messages again.",
    },
}

VOICE_LANGUAGE = {"nl": "nl-NL", "en": "en-GB"}


def text(key: str, language: str, **values: str) -> str:
    table = TEMPLATES.get(language, TEMPLATES["nl"])
    return table[key].format(**values)


def incident_label(incident_type: str, language: str) -> str:
    labels = INCIDENT_LABELS.get(language, INCIDENT_LABELS["nl"])
    return labels.get(incident_type, labels["other"])


def sentence(description: str) -> str:
    """Operators type fast; make sure the description ends like a sentence before more text follows."""
    description = " ".join(description.split())
    return description if description.endswith((".", "!", "?")) else description + "."
