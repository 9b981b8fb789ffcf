"""What the agent says, per language and channel.

The flow emits :class:`Line` values (a phrase key and its parameters); :func:`render`
turns one into words for a language ("en", "es") and a channel ("voice": spoken, with
keypad instructions; "sms": typed, with numbered replies). Company-written texts
(greeting, questions, policy answers) arrive as parameters, already in the right language.
Facts said in words (a date, a status) are worded here too, from ``engine.languages``.
Every language of the registry (``engine.languages.LANGUAGES``) has every phrase; an
unsupported language gets the default language's words (``in_language``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .languages import in_language, language as find_language


@dataclass(frozen=True)
class Line:
    """One thing the agent says: ``key`` names a phrase; ``params`` fill it in."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


# {key: {language: text}} or {key: {language: {channel: text}}}; str.format parameters.
PHRASES: dict[str, dict[str, Any]] = {
    "text": {"en": "{text}", "es": "{text}"},
    "choose_language": {  # each language offered in its own words, by its registry name
        "en": {"voice": "For {name}, say {name} or press {n}.", "sms": "Reply {n} for {name}."},
        "es": {"voice": "Para {name}, diga {name} u oprima {n}.", "sms": "Responda {n} para {name}."},
    },
    # A texter greeted in the language on file (engine.flow.start): the others, each in its own words.
    "switch_language": {"en": "For {name}, reply {word}.", "es": "Para {name}, responda {word}."},
    "menu": {
        "en": {"voice": "To apply for a job, say apply or press 1. To check on an application, say status "
                        "or press 2. To ask a question, say question or press 3.",
               "sms": "Reply 1 to apply for a job, 2 to check on an application, or 3 to ask a question."},
        "es": {"voice": "Para solicitar un empleo, diga solicitar u oprima 1. Para consultar una solicitud, "
                        "diga estado u oprima 2. Para hacer una pregunta, diga pregunta u oprima 3.",
               "sms": "Responda 1 para solicitar un empleo, 2 para consultar una solicitud o 3 para hacer "
                      "una pregunta."},
    },
    "anything_else": {"en": "Is there anything else I can help with?", "es": "¿Le puedo ayudar en algo más?"},
    "ask_faq": {"en": "Sure. What would you like to know?", "es": "Claro. ¿Qué le gustaría saber?"},
    "faq_unknown": {
        "en": "I'm sorry, I don't have an answer to that. A recruiter can help you with it.",
        "es": "Lo siento, no tengo una respuesta para eso. Un reclutador le puede ayudar.",
    },
    "application_found": {
        "en": "I found your application{role_part}, from {date}. Its status is: {status}. "
              "A recruiter will contact you when there is news.",
        "es": "Encontré su solicitud{role_part}, del {date}. Su estado es: {status}. "
              "Un reclutador se comunicará con usted cuando haya novedades.",
    },
    "no_application": {
        "en": "I couldn't find an application from this phone number.",
        "es": "No encontré ninguna solicitud de este número de teléfono.",
    },
    "choose_role": {"en": "Which job are you interested in?", "es": "¿Qué empleo le interesa?"},
    "roles_matching": {"en": "A few of our jobs match that.", "es": "Algunos de nuestros empleos coinciden."},
    # A returning caller (services.duplicates): the default when the agent has no on_file_message.
    "on_file": {
        "en": "We already have your application for {job} from {date}, so there's no need to apply again. "
              "You can expect to hear from a recruiter within {days} business days.",
        "es": "Ya tenemos su solicitud para {job} del {date}, así que no necesita volver a solicitar. "
              "Un reclutador se comunicará con usted en un plazo de {days} días hábiles.",
    },
    "other_roles_offer": {
        "en": "We also have openings for {roles}. Would you like to apply for one of them?",
        "es": "También tenemos vacantes de {roles}. ¿Le gustaría solicitar alguna de ellas?",
    },
    "list_and": {"en": " and ", "es": " y "},
    "on_file_goodbye": {
        "en": {"voice": "Thank you for calling. A recruiter will be in touch about your application. Goodbye.",
               "sms": "Thanks! A recruiter will be in touch about your application."},
        "es": {"voice": "Gracias por llamar. Un reclutador se comunicará con usted sobre su solicitud. Adiós.",
               "sms": "¡Gracias! Un reclutador se comunicará con usted sobre su solicitud."},
    },
    # A texter whose previous screening ended unfinished texts again (flow.start, ctx.unfinished).
    "start_again": {
        "en": "Welcome back! Your last application wasn't finished, so let's start it again.",
        "es": "¡Bienvenido de nuevo! Su última solicitud no quedó terminada, así que empecemos otra vez.",
    },
    "start_screening": {
        "en": "Great. I'll ask you a few short questions.",
        "es": "Muy bien. Le haré algunas preguntas breves.",
    },
    "not_heard": {"en": "Sorry, I didn't hear anything.", "es": "Perdón, no escuché nada."},
    "asked_again": {"en": "Thanks for waiting. Let's try that again.",  # flow.Repeat
                    "es": "Gracias por esperar. Intentémoslo de nuevo."},
    "not_understood": {"en": "Sorry, I didn't understand that.", "es": "Perdón, no le entendí."},
    # A choice asked again by text: how to answer ({numbers}: "1, 2 or 3").
    "reply_with_number": {"en": "Reply {numbers}.", "es": "Responda {numbers}."},
    # The job not picked by text after the reprompts: the thread stays open, a recruiter is told.
    "recruiter_can_help": {
        "en": "A recruiter can help too: we've asked one to follow up with you.",
        "es": "Un reclutador también le puede ayudar: le pedimos que se comunique con usted.",
    },
    # An answer to a question still to come, given at the job question ("sí tengo 25").
    "answer_later": {"en": "Thanks, I'll ask about that in a moment.",
                     "es": "Gracias, eso se lo pregunto en un momento."},
    # Why an answer to a date question is no start date (interpret.date_refusal), and the
    # options a caller named at once (interpret.ambiguous_choice; {options}: "days or nights").
    "date_past": {"en": "That date has passed.", "es": "Esa fecha ya pasó."},
    "date_too_far": {"en": "That is more than a year away.", "es": "Esa fecha es en más de un año."},
    "date_year_only": {"en": "I need a day, not only a year.", "es": "Necesito un día, no solo un año."},
    "which_one": {"en": "Which one: {options}?", "es": "¿Cuál de ellos: {options}?"},
    "or": {"en": "or", "es": "o"},
    "keypad_only": {"en": "Let's use the keypad instead.", "es": "Usemos el teclado."},
    "give_up": {
        "en": {"voice": "I'm sorry we couldn't finish today. A recruiter will follow up with you. "
                        "Thank you for calling, goodbye.",
               "sms": "Sorry, we couldn't finish here. A recruiter will follow up with you."},
        "es": {"voice": "Lamento que no pudimos terminar hoy. Un reclutador se comunicará con usted. "
                        "Gracias por llamar, adiós.",
               "sms": "Lo siento, no pudimos terminar aquí. Un reclutador se comunicará con usted."},
    },
    "knocked_out": {
        "en": {"voice": "Thank you for your answers. This job requires that, so we can't move your "
                        "application forward right now. Thank you for calling {company}. Goodbye.",
               "sms": "Thank you for your answers. This job requires that, so we can't move your "
                      "application forward right now. Thank you for your interest in {company}."},
        "es": {"voice": "Gracias por sus respuestas. Este empleo lo requiere, así que no podemos continuar "
                        "con su solicitud por ahora. Gracias por llamar a {company}. Adiós.",
               "sms": "Gracias por sus respuestas. Este empleo lo requiere, así que no podemos continuar "
                      "con su solicitud por ahora. Gracias por su interés en {company}."},
    },
    # A read-back (engine.readback): a yes/no answer as a statement, else the question and
    # the understood answer; the yes/no instructions follow (help_yes_no).
    "read_back_statement": {"en": "Just to confirm: {statement}. Is that right?",
                            "es": "Para confirmar: {statement}. ¿Es correcto?"},
    "read_back_answer": {"en": "Just to confirm, to the question: {question} I understood: {answer}. Is that right?",
                         "es": "Para confirmar, a la pregunta: {question} Entendí: {answer}. ¿Es correcto?"},
    "read_back_denied": {"en": "Sorry about that. Let's try again.", "es": "Disculpe. Intentemos de nuevo."},
    "answer_yes": {"en": "yes", "es": "sí"},
    "answer_no": {"en": "no", "es": "no"},
    "ask_name": {
        "en": {"voice": "Last question: please say your first and last name.",
               "sms": "Last question: what is your first and last name?"},
        "es": {"voice": "Última pregunta: por favor diga su nombre y apellido.",
               "sms": "Última pregunta: ¿cuál es su nombre y apellido?"},
    },
    "goodbye": {
        "en": {"voice": "Thank you{name_part}. You'll get a text message at this number in a moment to "
                        "confirm your details. Goodbye.",
               "sms": "Thank you{name_part}! Your application is in. A recruiter will be in touch soon."},
        "es": {"voice": "Gracias{name_part}. En un momento recibirá un mensaje de texto en este número para "
                        "confirmar sus datos. Adiós.",
               "sms": "¡Gracias{name_part}! Recibimos su solicitud. Un reclutador se comunicará pronto."},
    },
    "goodbye_menu": {  # the caller needs nothing more at the menu ("no, that's all, thanks")
        "en": "Thank you for calling. Goodbye.",
        "es": "Gracias por llamar. Adiós.",
    },
    "goodbye_no_text": {
        "en": "Thank you{name_part}. A recruiter will review your answers. Goodbye.",
        "es": "Gracias{name_part}. Un reclutador revisará sus respuestas. Adiós.",
    },
    "nudge": {"en": "Still there? Whenever you're ready:", "es": "¿Sigue ahí? Cuando guste:"},
    # Confirmation by text after a call (SMS only).
    "confirm_details": {
        "en": "Hi{name_part}, thanks for calling {company}. Here is what we captured:\n{details}\n"
              "Reply YES if that's right, or send corrections (for example: NAME Jane Smith).{email_ask}"
              "\nReply STOP to opt out.",
        "es": "Hola{name_part}, gracias por llamar a {company}. Esto es lo que registramos:\n{details}\n"
              "Responda SÍ si es correcto, o envíe correcciones (por ejemplo: NOMBRE Ana López).{email_ask}"
              "\nResponda STOP para no recibir más mensajes.",
    },
    # An e-mail address texted, with no screening open, by a texter with an application on
    # file (sms_screening.screening): after "email_saved", how to apply for another job.
    "welcome": {"en": "You're welcome!", "es": "¡De nada!"},
    "sure": {"en": "Sure.", "es": "Claro."},
    "no_transfer": {  # asked for a person: say what the line can do instead
        "en": "I'm an automated assistant, so I can't transfer you to a person. I can take your application "
              "now, and a recruiter will follow up with you.",
        "es": "Soy un asistente automático, así que no puedo transferirle con una persona. Puedo tomar su "
              "solicitud ahora, y un reclutador se comunicará con usted.",
    },
    "automated": {  # asked whether this is a person: the truth, then the open question again
        "en": "I'm an automated AI assistant, not a person. A recruiter reviews every application.",
        "es": "Soy un asistente automático de inteligencia artificial, no una persona. Un reclutador revisa "
              "cada solicitud.",
    },
    "take_your_time": {"en": "Sure, take your time.", "es": "Claro, tómese su tiempo."},
    "application_in": {
        "en": "Your application is in, and a recruiter will be in touch. To apply for another job, reply JOBS.",
        "es": "Su solicitud ya está registrada y un reclutador se comunicará con usted. Para solicitar otro "
              "empleo, responda EMPLEO.",
    },
    "confirm_email_ask": {"en": " Please also reply with your email address.",
                          "es": " Por favor responda también con su correo electrónico."},
    "detail_name": {"en": "Name: {value}", "es": "Nombre: {value}"},
    "detail_role": {"en": "Job: {value}", "es": "Empleo: {value}"},
    "detail_start": {"en": "Earliest start: {value}", "es": "Fecha de inicio: {value}"},
    "detail_email": {"en": "Email: {value}", "es": "Correo: {value}"},
    "not_captured": {"en": "(not captured)", "es": "(no registrado)"},
    "confirm_reminder": {
        "en": "Reminder from {company}: please reply YES to confirm your details, or send corrections.",
        "es": "Recordatorio de {company}: responda SÍ para confirmar sus datos, o envíe correcciones.",
    },
    "confirmed": {"en": "Thanks, you're all set! A recruiter will be in touch.",
                  "es": "¡Gracias, todo listo! Un reclutador se comunicará con usted."},
    "email_saved": {"en": "Thanks! We saved your email as {email}.",
                    "es": "¡Gracias! Guardamos su correo como {email}."},
    "name_saved": {"en": "Thanks! We corrected your name to {name}.",
                   "es": "¡Gracias! Corregimos su nombre a {name}."},
    "already_confirmed": {"en": "You're all set: your details are confirmed. A recruiter will be in touch.",
                          "es": "Ya está todo listo: sus datos están confirmados. Un reclutador se comunicará "
                                "con usted."},
    "confirm_denied": {
        "en": "Sorry about that. Reply NAME followed by the right name (for example: NAME Jane Doe), or send "
              "your email address. A recruiter will check the rest with you.",
        "es": "Disculpe. Responda NOMBRE seguido del nombre correcto (por ejemplo: NOMBRE Ana López), o envíe "
              "su correo electrónico. Un reclutador revisará lo demás con usted.",
    },
    "confirm_if_right": {"en": "Reply YES if everything is right.",
                         "es": "Responda SÍ si todo está correcto."},
    "confirm_expected": {
        "en": "Sorry, I didn't get that. Reply YES to confirm your details, NAME followed by your name to "
              "correct it, or send your email address.",
        "es": "Perdón, no le entendí. Responda SÍ para confirmar sus datos, NOMBRE seguido de su nombre para "
              "corregirlo, o envíe su correo electrónico.",
    },
    "help_default": {
        "en": "{company} hiring line. Reply JOBS to apply by text, or STOP to opt out. Msg & data rates may apply.",
        "es": "Línea de empleo de {company}. Responda EMPLEO para solicitar por mensaje, o STOP para no "
              "recibir más mensajes. Pueden aplicar tarifas de mensajes y datos.",
    },
    "opted_out": {
        "en": "You're unsubscribed from {company} texts and won't get more. Reply START to resubscribe.",
        "es": "Canceló los mensajes de {company} y no recibirá más. Responda START para volver a suscribirse.",
    },
    "opted_in": {
        "en": "You're subscribed to {company} texts again. Reply HELP for help, STOP to opt out.",
        "es": "Volvió a suscribirse a los mensajes de {company}. Responda HELP para ayuda, STOP para cancelar.",
    },
    "media_unsupported": {
        "en": "Thanks! I can't open pictures or files here, so please reply in text.",
        "es": "¡Gracias! No puedo abrir fotos ni archivos aquí, así que por favor responda con texto.",
    },
    "no_confirmation_pending": {
        "en": "Thanks for your message. This is {company}'s hiring line: call this number to apply, "
              "or reply STOP to opt out.",
        "es": "Gracias por su mensaje. Esta es la línea de empleo de {company}: llame a este número para "
              "solicitar, o responda STOP para no recibir más mensajes.",
    },
    # Instructions that follow a question, by question kind; "_keys" variants are keypad-only.
    "help_yes_no": {
        "en": {"voice": "Say yes or no, or press 1 for yes and 2 for no.", "sms": "Reply YES or NO."},
        "es": {"voice": "Diga sí o no, u oprima 1 para sí y 2 para no.", "sms": "Responda SÍ o NO."},
    },
    "help_yes_no_keys": {
        "en": "Press 1 for yes, or 2 for no.", "es": "Oprima 1 para sí, o 2 para no.",
    },
    "help_number": {
        "en": {"voice": "Say the number, or type it and press pound.", "sms": "Reply with a number."},
        "es": {"voice": "Diga el número, o márquelo y oprima numeral.", "sms": "Responda con un número."},
    },
    "help_number_keys": {
        "en": "Type the number on your keypad, then press pound.",
        "es": "Marque el número en su teclado y luego oprima numeral.",
    },
    "help_date": {
        "en": {"voice": "You can say a date, like next Monday, or say right away.",
               "sms": "Reply with a date, like next Monday or 3/15, or NOW."},
        "es": {"voice": "Puede decir una fecha, como el próximo lunes, o decir de inmediato.",
               "sms": "Responda con una fecha, como el próximo lunes o 15/3, o YA."},
    },
    "help_date_keys": {
        "en": "Type the month and day as four digits, for example 0 3 1 5 for March 15, or press 0 "
              "if you can start right away.",
        "es": "Marque el mes y el día con cuatro dígitos, por ejemplo 0 3 1 5 para el 15 de marzo, u "
              "oprima 0 si puede empezar de inmediato.",
    },
    "help_choice": {"en": {"voice": "For {label}, press {n}.", "sms": "{n}: {label}"},
                    "es": {"voice": "Para {label}, oprima {n}.", "sms": "{n}: {label}"}},
    "help_free_text": {"en": {"voice": "", "sms": ""}, "es": {"voice": "", "sms": ""}},
    # Spoken apologies when a call cannot go on (voice only; see adapters.twiml.render_apology).
    "sorry_unknown_number": {
        "en": "Sorry, this number is not taking calls right now. Please try again later. Goodbye.",
        "es": "Lo sentimos, este número no está recibiendo llamadas en este momento. Por favor intente "
              "más tarde. Adiós.",
    },
    "sorry_text_only": {  # a call to an SMS screening agent's number
        "en": "Thanks for calling. This number takes job applications by text message. Please send us a "
              "text at this number to apply. Goodbye.",
        "es": "Gracias por llamar. Este número recibe solicitudes de empleo por mensaje de texto. Por favor "
              "envíenos un mensaje de texto a este número para aplicar. Adiós.",
    },
    "sorry_lost": {
        "en": "Sorry, we lost track of this call. Please call again. Goodbye.",
        "es": "Lo sentimos, perdimos el hilo de esta llamada. Por favor llame de nuevo. Adiós.",
    },
    "sorry_hold": {
        "en": "Sorry, we are having a problem on our side. One moment, please.",
        "es": "Lo sentimos, tenemos un problema de nuestro lado. Un momento, por favor.",
    },
    "sorry_busy": {
        "en": "Sorry, we are having a problem right now. Please call again in a few minutes. Goodbye.",
        "es": "Lo sentimos, tenemos un problema en este momento. Por favor llame de nuevo en unos minutos. "
              "Adiós.",
    },
    # Texts after routing (sms only): the interview link, and a recruiter's polite no.
    "interview_link": {
        "en": "Hi {name}, thanks for applying for {title}! Your next step is a short interview: {url}",
        "es": "Hola {name}, ¡gracias por solicitar {title}! Su siguiente paso es una entrevista breve: {url}",
    },
    "dismissal": {
        "en": "Hi {name}, thank you for your interest in {title}. We won't be moving forward with your "
              "application at this time. We wish you the best in your search.",
        "es": "Hola {name}, gracias por su interés en {title}. Por ahora no seguiremos adelante con su "
              "solicitud. Le deseamos lo mejor en su búsqueda.",
    },
}


def spoken_date(day: dt.date, language: str) -> str:
    """A date as said to the caller: "November 18" / "18 de noviembre" (no year, no weekday)."""
    words = find_language(language).words.dates
    return words.spoken_format.format(month=words.months[day.month - 1], day=day.day)


def status_words(status: str, language: str) -> str:
    """A conversation status (a ``ConversationStatus`` value) as the caller should hear it:
    "completed" -> "received and under review"; an unknown status is said as it is."""
    return find_language(language).words.status_words.get(status, status)


def _phrase(key: str, language: str, channel: str) -> str:
    text = in_language(PHRASES[key], language)
    if isinstance(text, dict):
        text = text.get(channel) or text["voice"]
    return text


def _reply_with_number(count: int, language: str) -> str:
    """How to answer a numbered choice by text: "Reply 1, 2 or 3." / "Responda 1, 2 o 3."."""
    numbers = [str(n) for n in range(1, count + 1)]
    said = numbers[0] if count == 1 else f"{', '.join(numbers[:-1])} {_phrase('or', language, 'sms')} {numbers[-1]}"
    return _phrase("reply_with_number", language, "sms").format(numbers=said)


def _options(options: Sequence[str], language: str, channel: str) -> str:
    """Numbered options: "For days, press 1. For nights, press 2." or "1: days\n2: nights"."""
    parts = [_phrase("help_choice", language, channel).format(label=label, n=n)
             for n, label in enumerate(options, start=1)]
    return ("\n" if channel == "sms" else " ").join(parts)


# Lines that offer languages, each in its own words.
_OFFERS_LANGUAGES = ("choose_language", "switch_language")


def render_parts(line: Line, language: str, channel: str = "voice") -> list[tuple[str, str]]:
    """``line`` as (words, language of the words) parts: one part, except the language
    choice and the offer to switch, which offer each language in its own words (spoken each
    in its own voice); ``word``: what to reply, the language's name in capitals ("ESPAÑOL")."""
    if line.key in _OFFERS_LANGUAGES:
        return [(_phrase(line.key, lang, channel).format(n=n, name=find_language(lang).name,
                                                         word=find_language(lang).name.upper()), lang)
                for n, lang in enumerate(line.params["languages"], start=1)]
    return [(render(line, language, channel), language)]


def _read_back(p: dict, language: str, channel: str) -> str:
    """A read-back with the yes/no instructions (none when brief)."""
    value = p["value"]
    if p.get("statement"):
        said = _phrase("read_back_statement", language, channel).format(statement=p["statement"])
    else:
        if p["kind"] == "yes_no":
            value = _phrase("answer_yes" if value else "answer_no", language, channel)
        elif isinstance(value, dt.date):
            value = spoken_date(value, language)
        said = _phrase("read_back_answer", language, channel).format(question=p["question"], answer=value)
    return said if p.get("brief") else f"{said} {_phrase('help_yes_no', language, channel)}"


def render(line: Line, language: str, channel: str = "voice") -> str:
    """The words for ``line`` in ``language`` ("en"/"es") on ``channel`` ("voice"/"sms").

    Raises KeyError for an unknown phrase key (a programming error, not caller input).
    """
    p = dict(line.params)
    if line.key in _OFFERS_LANGUAGES:
        return " ".join(text for text, _ in render_parts(line, language, channel))
    if line.key == "read_back":
        return _read_back(p, language, channel)
    if line.key == "ask":
        # A question (screening, or which role) with the instructions its kind needs.
        kind, keys_only = p["kind"], p.get("keys_only", False)
        if "text_key" in p:
            p["text"] = _phrase(p["text_key"], language, channel)
        if kind == "choice":
            intro = _phrase("keypad_only", language, channel) + " " if keys_only else ""
            gap = "\n" if channel == "sms" else " "
            how = f"{gap}{_reply_with_number(len(p['options']), language)}" if p.get("how") and channel == "sms" else ""
            return f"{intro}{p['text']}{gap}{_options(p['options'], language, channel)}{how}".strip()
        if keys_only:
            return f"{_phrase('keypad_only', language, channel)} {p['text']} " \
                   f"{_phrase(f'help_{kind}_keys', language, channel)}"
        if p.get("brief"):
            return p["text"]
        return f"{p['text']} {_phrase(f'help_{kind}', language, channel)}".strip()
    if line.key == "which_one":
        p["options"] = f" {_phrase('or', language, channel)} ".join(p["options"])
    if line.key == "on_file" and p.get("custom"):
        return p["custom"].format(job=p["job"], date=p["date"], days=p["days"])
    if line.key == "other_roles_offer":
        roles = list(p["roles"])
        p["roles"] = (", ".join(roles[:-1]) + _phrase("list_and", language, channel) + roles[-1]
                      if len(roles) > 1 else roles[0])
        kind = "help_yes_no_keys" if p.get("keys_only") else "help_yes_no"
        return f"{_phrase(line.key, language, channel).format(**p)} {_phrase(kind, language, channel)}"
    if line.key == "application_found":
        p["role_part"] = f" ({p['role']})" if p.get("role") else ""
    if line.key in ("goodbye", "goodbye_no_text"):
        p["name_part"] = f", {p['name']}" if p.get("name") else ""
    if line.key == "confirm_details":
        p["name_part"] = f" {p['name']}" if p.get("name") else ""
        p["email_ask"] = "" if p.get("has_email") else _phrase("confirm_email_ask", language, channel)
        p["details"] = "\n".join(_phrase(f"detail_{field}", language, channel).format(
            value=value or _phrase("not_captured", language, channel)) for field, value in p["details"])
    return _phrase(line.key, language, channel).format(**p)
