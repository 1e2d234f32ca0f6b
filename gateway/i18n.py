"""The console's words in Dutch (the default) and English: one dictionary per language, chosen by
the `lang` cookie. Templates call t("key"); the pages' scripts get the same dictionary as JSON.
A key missing in English falls back to Dutch, so a new label never shows up as its key."""

from __future__ import annotations

from flask import request

LANGUAGES = ("nl", "en")
COOKIE = "lang"

NL = {
    "app": "Burgernet meldkamer",
    "nav.overview": "Overzicht", "nav.new": "Nieuwe actie", "nav.history": "Geschiedenis",
    "nav.audit": "Auditlog", "nav.accounts": "Accounts", "nav.logout": "Uitloggen",
    "nav.language": "English", "nav.main": "Hoofdmenu", "nav.signed_in": "Ingelogd als {name} ({role})",
    "login.username": "Gebruikersnaam", "login.password": "Wachtwoord", "login.submit": "Inloggen",
    # incident types, action statuses, delivery states: human words, never the code's names
    "type.burglary": "Inbraak", "type.robbery": "Overval", "type.hit_and_run": "Doorrijden na ongeval",
    "type.violent_crime": "Geweldsmisdrijf", "type.missing_person": "Vermissing", "type.other": "Overig",
    "status.draft": "concept", "status.active": "actief", "status.closed": "afgesloten",
    "status.discarded": "verworpen",
    "state.pending": "wacht", "state.sending": "wordt verstuurd", "state.retry": "wacht op nieuwe poging",
    "state.queued": "bij de provider", "state.ringing": "gaat over", "state.in_progress": "verbonden",
    "state.sent": "verzonden", "state.answered": "opgenomen", "state.voicemail": "voicemail",
    "state.busy": "in gesprek", "state.no_answer": "geen gehoor", "state.delivered": "afgeleverd",
    "state.undelivered": "niet afgeleverd", "state.failed": "mislukt", "state.cancelled": "geannuleerd",
    "counter.waiting": "Wachtend", "counter.calling": "Bezig", "counter.answered": "Opgenomen",
    "counter.voicemail": "Voicemail", "counter.delivered": "Sms afgeleverd",
    "counter.failed": "Niet bereikt", "counter.cancelled": "Geannuleerd",
    "channel.voice": "spraak", "channel.sms": "sms", "channel.whatsapp": "WhatsApp",
    "kind.call": "gesprek", "kind.recording": "ingesproken", "kind.sms": "bericht",
    # overview and history
    "overview.title": "Acties", "overview.none": "Nog geen acties.",
    "overview.unlinked": "Tips zonder actie",
    "overview.unlinked_help": "Tips die niet aan één actie gekoppeld konden worden (meerdere acties "
                              "actief, beller niet gealarmeerd).",
    "col.id": "#", "col.type": "Soort", "col.description": "Signalement", "col.status": "Status",
    "col.progress": "Voortgang", "col.outcome": "Afloop", "col.tips": "Tips", "col.time": "Tijd",
    "col.kind": "Soort", "col.tip": "Tip", "col.started": "Gestart", "col.duration": "Duur",
    "col.reached": "Bereikt", "col.answered_pct": "% bereikt", "col.csv": "Export",
    "progress.of": "{done} van {total} klaar",
    "history.title": "Geschiedenis", "history.filter": "Filter", "history.all": "alle",
    "history.from": "Vanaf", "history.to": "Tot en met", "history.search": "Zoek in signalement",
    "history.apply": "Toon", "history.csv": "CSV", "history.none": "Geen acties gevonden.",
    "recording": "opname", "none": "Geen.",
    # new action
    "new.title": "Nieuwe actie", "map.label": "Kaart van het gebied",
    "map.tools": "Gebied tekenen", "map.circle": "Cirkel", "map.polygon": "Veelhoek",
    "map.close_polygon": "Veelhoek sluiten", "map.clear": "Wissen",
    "map.help_circle": "Klik op de plaats van het incident; sleep het rondje op de rand om de "
                       "straal te kiezen, of vul hieronder coördinaten en straal in.",
    "map.help_polygon": "Klik de hoekpunten aan en sluit de veelhoek met de knop (of klik het "
                        "eerste punt).",
    "map.centre": "Middelpunt", "map.lat": "Breedtegraad", "map.lon": "Lengtegraad",
    "map.radius": "Straal (meter)", "map.apply": "Toepassen",
    "map.address": "Adres", "map.postcode": "Postcode", "map.number": "Huisnummer",
    "map.find": "Zoeken",
    "form.type": "Soort incident", "form.description": "Signalement",
    "form.description_help": "Wat moeten mensen in de gaten houden? Geen namen of kentekens "
                             "van slachtoffers.",
    "form.consent": "Toestemming van familie of voogd is vastgelegd",
    "form.groups": "Ook naar buurtpreventie-apps (Heterdaadkracht)",
    "form.groups_help": ("De beheerders van de groepen in het gebied krijgen het bericht via "
                         "WhatsApp (anders sms) om door te sturen."),
    "preview.groups": "Buurtpreventie: {groups} groep(en), {administrators} beheerder(s)",
    "preview.groups_off": "Buurtpreventie: uit ({available} groep(en) in het gebied)",
    "action.groups": "Buurtpreventie-apps", "action.groups_none": "Geen groepen bereikt.",
    "purpose.alert": "bericht", "purpose.update": "aanvulling", "purpose.outcome": "afloop",
    "form.channels": "Kanalen",
    "form.channels_help": "Iedere deelnemer krijgt het bericht via het kanaal dat hij koos.",
    "preview.title": "Voorbeeld", "preview.none": "Teken een gebied om te zien wie het bereikt.",
    "preview.recipients": "Ontvangers", "preview.total": "Totaal",
    "preview.sms": "Sms-tekst", "preview.segments": "{encoding}, {segments} deel/delen",
    "preview.voice": "Gesproken tekst", "preview.busy": "Bezig met berekenen…",
    "preview.need_description": "Vul het signalement in om de teksten te zien.",
    "new.check": "Controleren en starten",
    "confirm.title": "Actie starten?",
    "confirm.people": "Deze actie alarmeert {total} mensen.",
    "confirm.type": "Meer dan {threshold} mensen: typ het aantal ({total}) om te bevestigen",
    "confirm.start": "Start de actie", "confirm.cancel": "Annuleren",
    # active action
    "action.elapsed": "Verstreken tijd", "action.live": "Live",
    "action.reconnecting": "Verbinding herstellen…",
    "action.counters": "Meldingen", "action.details": "Per status", "action.area": "Gebied",
    "action.tips": "Tips", "action.no_tips": "Nog geen tips.", "action.alerted": "gealarmeerd",
    "action.not_alerted": "niet gealarmeerd", "action.seconds": "{n} s",
    "tip.alerted_at": "gealarmeerd om {time}", "tip.handled": "afgehandeld",
    "tip.mark_handled": "Afgehandeld", "tip.mark_open": "Heropenen", "tip.note": "Notitie",
    "tip.save_note": "Notitie opslaan", "tip.player": "Opname van tip {id}",
    "action.updates": "Updates: {done} van {total} verstuurd",
    "action.outcome_sent": "Afloop: {done} van {total} verstuurd",
    "widen.title": "Gebied uitbreiden", "widen.help": "Teken het extra gebied; het voorbeeld telt "
                                                      "alleen wie nog niet gealarmeerd is.",
    "widen.adds": "Voegt {total} mensen toe", "widen.submit": "Uitbreiden",
    "update.title": "Update sturen", "update.text": "Tekst van de update",
    "update.submit": "Update versturen", "update.to": "Gaat naar {total} mensen",
    "close.title": "Afsluiten met afloop", "close.text": "Afloop",
    "close.submit": "Actie afsluiten", "close.to": "Afloop gaat naar {total} mensen",
    "done.sent": "Verstuurd.",
    # audit and accounts
    "audit.title": "Auditlog", "audit.who": "Wie", "audit.event": "Gebeurtenis",
    "audit.action": "Actie", "audit.detail": "Details",
    "event.action.created": "concept gemaakt", "event.action.started": "gestart",
    "event.action.widened": "uitgebreid", "event.action.updated": "update verstuurd",
    "event.action.closed": "afgesloten", "event.action.discarded": "verworpen",
    "event.account.created": "account aangemaakt", "event.account.disabled": "account geblokkeerd",
    "event.account.enabled": "account vrijgegeven",
    "accounts.title": "Accounts", "accounts.add": "Account toevoegen", "accounts.role": "Rol",
    "accounts.created": "Aangemaakt", "accounts.state": "Staat", "accounts.disabled": "geblokkeerd",
    "accounts.enabled": "actief", "accounts.disable": "Blokkeren", "accounts.enable": "Vrijgeven",
    "accounts.token": "API-token voor {name} (wordt maar één keer getoond): {token}",
    "role.viewer": "meekijker", "role.operator": "centralist", "role.supervisor": "chef van dienst",
    "role.admin": "beheerder", "role.municipality": "gemeente",
    "error.generic": "Er ging iets mis ({status}).",
}

EN = {
    "app": "Burgernet control room",
    "nav.overview": "Overview", "nav.new": "New action", "nav.history": "History",
    "nav.audit": "Audit log", "nav.accounts": "Accounts", "nav.logout": "Log out",
    "nav.language": "Nederlands", "nav.main": "Main menu", "nav.signed_in": "Signed in as {name} ({role})",
    "login.username": "User name", "login.password": "Password", "login.submit": "Log in",
    "type.burglary": "Burglary", "type.robbery": "Robbery", "type.hit_and_run": "Hit and run",
    "type.violent_crime": "Violent crime", "type.missing_person": "Missing person", "type.other": "Other",
    "status.draft": "draft", "status.active": "active", "status.closed": "closed",
    "status.discarded": "discarded",
    "state.pending": "waiting", "state.sending": "sending", "state.retry": "waiting to retry",
    "state.queued": "with the provider", "state.ringing": "ringing", "state.in_progress": "connected",
    "state.sent": "sent", "state.answered": "answered", "state.voicemail": "voicemail",
    "state.busy": "busy", "state.no_answer": "no answer", "state.delivered": "delivered",
    "state.undelivered": "not delivered", "state.failed": "failed", "state.cancelled": "cancelled",
    "counter.waiting": "Waiting", "counter.calling": "In progress", "counter.answered": "Answered",
    "counter.voicemail": "Voicemail", "counter.delivered": "SMS delivered",
    "counter.failed": "Not reached", "counter.cancelled": "Cancelled",
    "channel.voice": "voice", "channel.sms": "SMS", "channel.whatsapp": "WhatsApp",
    "kind.call": "call", "kind.recording": "recorded", "kind.sms": "message",
    "overview.title": "Actions", "overview.none": "No actions yet.",
    "overview.unlinked": "Tips without an action",
    "overview.unlinked_help": "Tips that could not be linked to one action (several actions "
                              "active, caller not alerted).",
    "col.type": "Type", "col.description": "Description", "col.progress": "Progress",
    "col.outcome": "Outcome", "col.time": "Time", "col.kind": "Kind", "col.started": "Started",
    "col.duration": "Duration", "col.reached": "Reached", "col.answered_pct": "% reached",
    "progress.of": "{done} of {total} done",
    "history.title": "History", "history.all": "all", "history.from": "From",
    "history.to": "Until", "history.search": "Search the description", "history.apply": "Show",
    "history.none": "No actions found.", "recording": "recording", "none": "None.",
    "new.title": "New action", "map.label": "Map of the area", "map.tools": "Draw the area",
    "map.circle": "Circle", "map.polygon": "Polygon", "map.close_polygon": "Close polygon",
    "map.clear": "Clear",
    "map.help_circle": "Click the incident's location; drag the handle on the edge to set the "
                       "radius, or enter coordinates and radius below.",
    "map.help_polygon": "Click the corners, then close the polygon with the button (or click "
                        "the first point).",
    "map.centre": "Centre", "map.lat": "Latitude", "map.lon": "Longitude",
    "map.radius": "Radius (metres)", "map.apply": "Apply",
    "map.address": "Address", "map.postcode": "Postcode", "map.number": "House number",
    "map.find": "Find",
    "form.type": "Incident type", "form.description": "Description",
    "form.description_help": "What should people look out for? No names or plates of victims.",
    "form.consent": "Consent of family or guardian is recorded", "form.channels": "Channels",
    "form.groups": "Also to neighbourhood apps (Heterdaadkracht)",
    "form.groups_help": ("The administrators of the groups in the area get the message by "
                         "WhatsApp (else SMS) to forward."),
    "preview.groups": "Neighbourhood apps: {groups} group(s), {administrators} administrator(s)",
    "preview.groups_off": "Neighbourhood apps: off ({available} group(s) in the area)",
    "action.groups": "Neighbourhood apps", "action.groups_none": "No groups reached.",
    "purpose.alert": "alert", "purpose.update": "update", "purpose.outcome": "outcome",
    "form.channels_help": "Every participant gets it by the channel they chose.",
    "preview.title": "Preview", "preview.none": "Draw an area to see whom it reaches.",
    "preview.recipients": "Recipients", "preview.sms": "SMS text",
    "preview.segments": "{encoding}, {segments} part(s)", "preview.voice": "Spoken text",
    "preview.busy": "Calculating…",
    "preview.need_description": "Enter the description to see the texts.",
    "new.check": "Check and start", "confirm.title": "Start this action?",
    "confirm.people": "This action alerts {total} people.",
    "confirm.type": "More than {threshold} people: type the number ({total}) to confirm",
    "confirm.start": "Start the action", "confirm.cancel": "Cancel",
    "action.elapsed": "Elapsed", "action.reconnecting": "Reconnecting…",
    "action.counters": "Alerts", "action.details": "By state", "action.area": "Area",
    "action.no_tips": "No tips yet.", "action.alerted": "alerted", "action.not_alerted": "not alerted",
    "tip.alerted_at": "alerted at {time}", "tip.handled": "handled",
    "tip.mark_handled": "Handled", "tip.mark_open": "Reopen", "tip.note": "Note",
    "tip.save_note": "Save note", "tip.player": "Recording of tip {id}",
    "action.updates": "Updates: {done} of {total} sent",
    "action.outcome_sent": "Outcome: {done} of {total} sent",
    "widen.title": "Widen the area",
    "widen.help": "Draw the extra area; the preview counts only people not yet alerted.",
    "widen.adds": "Adds {total} people", "widen.submit": "Widen",
    "update.title": "Send an update", "update.text": "Text of the update",
    "update.submit": "Send update", "update.to": "Goes to {total} people",
    "close.title": "Close with an outcome", "close.text": "Outcome",
    "close.submit": "Close the action", "close.to": "The outcome goes to {total} people",
    "done.sent": "Sent.",
    "audit.title": "Audit log", "audit.who": "Who", "audit.event": "Event", "audit.action": "Action",
    "audit.detail": "Details",
    "event.action.created": "draft created", "event.action.started": "started",
    "event.action.widened": "widened", "event.action.updated": "update sent",
    "event.action.closed": "closed", "event.action.discarded": "discarded",
    "event.account.created": "account created", "event.account.disabled": "account disabled",
    "event.account.enabled": "account enabled",
    "accounts.add": "Add an account", "accounts.role": "Role", "accounts.created": "Created",
    "accounts.state": "State", "accounts.disabled": "disabled", "accounts.enabled": "active",
    "accounts.disable": "Disable", "accounts.enable": "Enable",
    "accounts.token": "API token for {name} (shown only once): {token}",
    "role.viewer": "viewer", "role.operator": "operator", "role.supervisor": "supervisor",
    "role.admin": "administrator", "role.municipality": "municipality",
    "error.generic": "Something went wrong ({status}).",
}

MESSAGES = {"nl": NL, "en": {**NL, **EN}}


def language() -> str:
    chosen = request.cookies.get(COOKIE, "")
    return chosen if chosen in LANGUAGES else "nl"


def t(key: str, **values) -> str:
    text = MESSAGES[language()].get(key, key)
    return text.format(**values) if values else text


def number(n: int | float) -> str:
    """12430 -> '12.430' in Dutch, '12,430' in English."""
    text = f"{n:,.0f}"
    return text.replace(",", ".") if language() == "nl" else text


def messages() -> dict[str, str]:
    """Everything, for the pages' scripts."""
    return MESSAGES[language()]
