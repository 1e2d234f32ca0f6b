"""Words on the participant pages, Dutch first and English for who chooses it, and the Dutch for
the service's error messages (the API speaks English; a page speaks the visitor's language)."""

from __future__ import annotations

LANGUAGES = ("nl", "en")

WORDS = {
    "nl": {
        "title": "Burgernet", "switch": "English", "switch_to": "en",
        "register_title": "Aanmelden voor Burgernet",
        "register_intro": ("Krijg een bericht van de politie als er bij u in de buurt iemand wordt "
                           "gezocht. U bent 16 jaar of ouder en heeft een mobiel nummer."),
        "phone": "Mobiel nummer", "language": "Taal", "birth_year": "Geboortejaar",
        "postcode": "Postcode", "house_number": "Huisnummer", "house_addition": "Toevoeging",
        "label": "Soort adres", "home": "Thuis", "work": "Werk", "other": "Anders",
        "channel": "Bericht via", "voice": "Gesproken oproep", "sms": "Sms", "whatsapp": "WhatsApp",
        "window": "Alleen op deze tijden (leeg: altijd)", "start": "Van", "end": "Tot",
        "days": {"mon": "ma", "tue": "di", "wed": "wo", "thu": "do", "fri": "vr", "sat": "za",
                 "sun": "zo"},
        "register_button": "Aanmelden", "verify_title": "Code invoeren",
        "verify_intro": "We hebben een sms met een code van 6 cijfers gestuurd naar uw nummer.",
        "code": "Code", "verify_button": "Bevestigen", "resend": "Stuur een nieuwe code",
        "resent": "Er is een nieuwe code onderweg.",
        "sign_in_title": "Inloggen", "sign_in_intro": "U krijgt een code per sms; geen wachtwoord.",
        "sign_in_button": "Stuur code", "have_account": "Al aangemeld? Inloggen",
        "manage_title": "Uw aanmelding", "addresses": "Adressen", "save": "Opslaan",
        "remove": "Verwijderen", "add_address": "Adres toevoegen", "always": "altijd",
        "change_phone": "Ander nummer", "change_phone_button": "Stuur code naar nieuw nummer",
        "preferences": "Voorkeuren", "status_active": "U ontvangt berichten.",
        "status_inactive": "U bent afgemeld en ontvangt geen berichten.",
        "unsubscribe": "Afmelden", "resubscribe": "Weer aanmelden",
        "erase": "Verwijder al mijn gegevens", "erase_confirm": "Ja, verwijder alles",
        "erased": "Uw gegevens zijn verwijderd.", "sign_out": "Uitloggen",
        "saved": "Opgeslagen.", "unsubscribed": "U bent afgemeld.",
        "resubscribed": "U ontvangt weer berichten.",
    },
    "en": {
        "title": "Burgernet", "switch": "Nederlands", "switch_to": "nl",
        "register_title": "Sign up for Burgernet",
        "register_intro": ("Get a message from the police when someone is sought near you. You are "
                           "16 or older and have a mobile number."),
        "phone": "Mobile number", "language": "Language", "birth_year": "Year of birth",
        "postcode": "Postcode", "house_number": "House number", "house_addition": "Addition",
        "label": "Kind of address", "home": "Home", "work": "Work", "other": "Other",
        "channel": "Message by", "voice": "Spoken call", "sms": "Text message",
        "whatsapp": "WhatsApp",
        "window": "Only at these times (empty: always)", "start": "From", "end": "Until",
        "days": {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
                 "sat": "Sat", "sun": "Sun"},
        "register_button": "Sign up", "verify_title": "Enter the code",
        "verify_intro": "We have texted a 6-digit code to your number.",
        "code": "Code", "verify_button": "Confirm", "resend": "Send a new code",
        "resent": "A new code is on its way.",
        "sign_in_title": "Sign in", "sign_in_intro": "You get a code by text; no password.",
        "sign_in_button": "Send code", "have_account": "Signed up already? Sign in",
        "manage_title": "Your registration", "addresses": "Addresses", "save": "Save",
        "remove": "Remove", "add_address": "Add an address", "always": "always",
        "change_phone": "Another number", "change_phone_button": "Text a code to the new number",
        "preferences": "Preferences", "status_active": "You receive messages.",
        "status_inactive": "You have unsubscribed and receive no messages.",
        "unsubscribe": "Unsubscribe", "resubscribe": "Subscribe again",
        "erase": "Delete all my data", "erase_confirm": "Yes, delete everything",
        "erased": "Your data has been deleted.", "sign_out": "Sign out",
        "saved": "Saved.", "unsubscribed": "You have unsubscribed.",
        "resubscribed": "You receive messages again.",
    },
}

# The service's messages (English) as a Dutch visitor reads them; matched on how they start.
ERRORS_NL = [
    ("is required", "Vul dit in."),
    ("participants must be", "U moet 16 jaar of ouder zijn om mee te doen."),
    ("is not a possible birth year", "Dit is geen geldig geboortejaar."),
    ("must be an integer", "Vul een getal in."),
    ("must be a Dutch postcode", "Vul een postcode in zoals 2711AB."),
    ("no address is known", "Dit adres kennen we niet. Kloppen postcode en huisnummer?"),
    ("the address lookup is unavailable", "Adressen opzoeken lukt nu niet; probeer het later."),
    ("must be 1 to", "Vul een geldig huisnummer in."),
    ("must be up to 6 letters", "Een toevoeging is een letter of enkele cijfers, zoals A."),
    ("not a mobile number", "Dit is geen mobiel nummer."),
    ("not a valid phone number", "Dit is geen geldig telefoonnummer."),
    ("not a phone number", "Dit is geen telefoonnummer."),
    ("a phone number is required", "Vul uw mobiele nummer in."),
    ("only mobile numbers of", "Alleen mobiele nummers uit Nederland, België en Duitsland."),
    ("must be a time", "Vul een tijd in zoals 08:00."),
    ("must be after start", "De eindtijd moet na de begintijd liggen."),
    ("must be a non-empty list", "Kies minstens één dag."),
    ("must hold 1 to", "U kunt hoogstens 5 adressen opgeven."),
    ("wrong code", "Verkeerde code."),
    ("the code has expired", "De code is verlopen; vraag een nieuwe aan."),
    ("too many wrong codes", "Te vaak een verkeerde code; vraag een nieuwe aan."),
    ("this code has been used", "Deze code is al gebruikt."),
    ("the code has not been sent", "De code is nog onderweg; wacht even."),
    ("must be the 6 digits", "Vul de 6 cijfers uit de sms in."),
    ("too many codes", "Er zijn te veel codes gestuurd; probeer het over een uur opnieuw."),
    ("another participant has this number", "Dit nummer is al bij ons aangemeld."),
    ("a participant with this number", "Dit nummer is al bij ons aangemeld."),
]


def words(language: str) -> dict:
    return WORDS.get(language, WORDS["nl"])


def error(message: str, language: str) -> str:
    if language == "en":
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    for start, dutch in ERRORS_NL:
        if message.startswith(start):
            return dutch
    return message
