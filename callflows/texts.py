"""Message templates per incident type and language (nl first; en for who chose it).

Every alert is calm and factual: what happened, what to look out for, call the free tip line,
and (where there is a suspect) do not intervene. Outcome and update texts carry the operator's
words exactly as typed; only our short frame goes around them.
"""

from __future__ import annotations

LANGUAGES = ("nl", "en")
VOICE_LANGUAGE = {"nl": "nl-NL", "en": "en-GB"}

# What the voice alert says happened, per incident type.
INCIDENTS = {
    "nl": {
        "burglary": "Na een inbraak in uw buurt zoekt de politie",
        "robbery": "Na een overval in uw buurt zoekt de politie",
        "hit_and_run": "Na een aanrijding waarbij de bestuurder is doorgereden, zoekt de politie",
        "violent_crime": "Na een geweldsincident in uw buurt zoekt de politie",
        "missing_person": "De politie zoekt, samen met de familie, een vermiste persoon",
        "other": "De politie vraagt uw hulp en zoekt",
    },
    "en": {
        "burglary": "After a burglary in your area, the police are looking for",
        "robbery": "After a robbery in your area, the police are looking for",
        "hit_and_run": "After a collision in which the driver drove off, the police are looking for",
        "violent_crime": "After a violent incident in your area, the police are looking for",
        "missing_person": "The police, with the family, are looking for a missing person",
        "other": "The police ask for your help and are looking for",
    },
}

# The short label an SMS starts with.
LABELS = {
    "nl": {"burglary": "inbraak", "robbery": "overval", "hit_and_run": "doorrijder",
           "violent_crime": "geweld", "missing_person": "vermissing", "other": "oproep"},
    "en": {"burglary": "burglary", "robbery": "robbery", "hit_and_run": "hit-and-run",
           "violent_crime": "violence", "missing_person": "missing person", "other": "appeal"},
}

# How people are asked to help. A missing person may be spoken to; a suspect never.
ASK_SMS = {
    "nl": {"suspect": "Gezien? Bel gratis {tipline}. Grijp niet zelf in.",
           "missing": "Gezien? Bel gratis {tipline}."},
    "en": {"suspect": "Seen them? Call free {tipline}. Do not intervene.",
           "missing": "Seen them? Call free {tipline}."},
}
ASK_VOICE = {
    "nl": {"suspect": "Wilt u even goed uitkijken? Onderneem zelf niets.",
           "missing": "Wilt u even goed uitkijken?"},
    "en": {"suspect": "Please keep a look-out. Do not take any action yourself.",
           "missing": "Please keep a look-out."},
}

TEMPLATES = {
    "nl": {
        "alert_voice": "Dit is Burgernet, met een bericht van de politie. {incident}: {description} {ask}",
        "alert_keys": "Toets 1 om het bericht nog eens te horen. Toets 2 om direct de meldkamer te spreken.",
        "tipline_voice": "Heeft u iets gezien? Bel dan direct gratis {tipline}.",
        "voicemail": "Dit is Burgernet. {incident}: {description} Gezien? Bel gratis {tipline}.",
        "alert_sms": "Burgernet {label}: {description} {ask}",
        "update_voice": ("Dit is Burgernet, met een aanvulling van de politie. {text} "
                         "Gezien? Bel gratis {tipline}."),
        "update_sms": "Burgernet aanvulling: {text}",
        "outcome_voice": "Dit is Burgernet, met de afloop. {outcome} Bedankt voor het uitkijken.",
        "outcome_sms": "Burgernet afloop: {outcome} Bedankt voor het uitkijken.",
        "group_forward": ("{message}\n\nPolitie voor de beheerder van uw buurtpreventie-app: "
                          "stuur dit bericht ongewijzigd door naar uw groep."),
        "connecting_from_alert": "U wordt verbonden met de meldkamer.",
        "tipline_welcome": "Welkom bij de tiplijn van Burgernet.",
        "tipline_menu": ("Toets 1 om verbonden te worden met de meldkamer. "
                         "Toets 2 om een bericht in te spreken."),
        "tipline_about": "U belt over: {description}",
        "tipline_several": "U bent gewaarschuwd voor {count} oproepen.",
        "tipline_choice": "Toets {digit} voor: {description}",
        "tipline_no_input": "We hebben geen toets gehoord.",
        "tipline_wrong_key": "Die toets kennen we niet.",
        "tipline_connecting": "U wordt verbonden met de meldkamer.",
        "tipline_record": "Spreek na de toon uw tip in. Hang op als u klaar bent.",
        "tipline_nobody": "Er is nu niemand beschikbaar. U kunt uw tip inspreken.",
        "tipline_whisper": "Burgernet-tip voor actie {action}. De beller is gewaarschuwd om {time}.",
        "tipline_whisper_not_alerted": ("Burgernet-tip voor actie {action}. De beller is niet "
                                        "voor deze actie gewaarschuwd."),
        "tipline_whisper_unlinked": "Burgernet-tip, niet gekoppeld aan een actie.",
        "tipline_thanks": "Dank u wel voor uw tip. Tot ziens.",
        "sms_tip_thanks": "Burgernet: bedankt voor uw tip.",
        "sms_stopped": "Burgernet: u ontvangt geen berichten meer. Sms START om u weer aan te melden.",
        "sms_started": "Burgernet: u ontvangt weer berichten van Burgernet.",
        "sms_info": ("Burgernet: berichten van de politie als er in uw buurt iemand wordt gezocht. "
                     "Sms STOP om af te melden, START om weer aan te melden. Meer: {url}"),
        "code_sms": "Burgernet: uw code is {code}. Hij is {minutes} minuten geldig.",
        "code_import_sms": ("Burgernet: uw gemeente heeft u aangemeld. Bevestig met code {code} "
                            "op {url} (24 uur geldig). Niet gewild? Negeer dit bericht."),
    },
    "en": {
        "alert_voice": "This is Burgernet, with a message from the police. {incident}: {description} {ask}",
        "alert_keys": "Press 1 to hear this message again. Press 2 to speak to the control room now.",
        "tipline_voice": "Have you seen anything? Call {tipline} free of charge right away.",
        "voicemail": "This is Burgernet. {incident}: {description} Seen them? Call free {tipline}.",
        "alert_sms": "Burgernet {label}: {description} {ask}",
        "update_voice": ("This is Burgernet, with more from the police. {text} "
                         "Seen anything? Call free {tipline}."),
        "update_sms": "Burgernet update: {text}",
        "outcome_voice": "This is Burgernet, with the outcome. {outcome} Thank you for looking out.",
        "outcome_sms": "Burgernet outcome: {outcome} Thank you for looking out.",
        "group_forward": ("{message}\n\nPolice, to the administrator of your neighbourhood "
                          "app: please forward this message unchanged to your group."),
        "connecting_from_alert": "Connecting you to the control room.",
        "tipline_welcome": "Welcome to the Burgernet tip line.",
        "tipline_menu": ("Press 1 to be connected to the control room. "
                         "Press 2 to leave a message."),
        "tipline_about": "You are calling about: {description}",
        "tipline_several": "You were alerted for {count} appeals.",
        "tipline_choice": "Press {digit} for: {description}",
        "tipline_no_input": "We did not hear a key.",
        "tipline_wrong_key": "That key is not in the menu.",
        "tipline_connecting": "Connecting you to the control room.",
        "tipline_record": "Leave your tip after the tone. Hang up when you are done.",
        "tipline_nobody": "Nobody is available right now. You can leave your tip.",
        "tipline_whisper": "Burgernet tip for action {action}, caller was alerted at {time}.",
        "tipline_whisper_not_alerted": ("Burgernet tip for action {action}, caller was not "
                                        "alerted for it."),
        "tipline_whisper_unlinked": "Burgernet tip, not linked to an action.",
        "tipline_thanks": "Thank you for your tip. Goodbye.",
        "sms_tip_thanks": "Burgernet: thank you for your tip.",
        "sms_stopped": "Burgernet: you will receive no more messages. Text START to sign up again.",
        "sms_started": "Burgernet: you will receive Burgernet messages again.",
        "sms_info": ("Burgernet: messages from the police when someone is sought near you. "
                     "Text STOP to unsubscribe, START to sign up again. More: {url}"),
        "code_sms": "Burgernet: your code is {code}. It is valid for {minutes} minutes.",
        "code_import_sms": ("Burgernet: your municipality signed you up. Confirm with code {code} "
                            "at {url} (valid 24 hours). Not wanted? Ignore this message."),
    },
}


def _table(tables: dict, language: str) -> dict:
    return tables.get(language, tables["nl"])


def text(key: str, language: str, **values: str) -> str:
    return _table(TEMPLATES, language)[key].format(**values)


def incident(incident_type: str, language: str) -> str:
    table = _table(INCIDENTS, language)
    return table.get(incident_type, table["other"])


def label(incident_type: str, language: str) -> str:
    table = _table(LABELS, language)
    return table.get(incident_type, table["other"])


def _kind(incident_type: str) -> str:
    return "missing" if incident_type == "missing_person" else "suspect"


def ask_sms(incident_type: str, language: str, tipline: str) -> str:
    return _table(ASK_SMS, language)[_kind(incident_type)].format(tipline=tipline)


def ask_voice(incident_type: str, language: str) -> str:
    return _table(ASK_VOICE, language)[_kind(incident_type)]


def sentence(description: str) -> str:
    """Operators type fast; make sure a description ends like a sentence before more follows."""
    description = " ".join(description.split())
    return description if description.endswith((".", "!", "?")) else description + "."
