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
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .gsm7 import plain_punctuation
from .languages import LANGUAGES, in_language, language as find_language


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
    # The same, once decided (``flow.ApplicationSummary.status``): an interview, or closed.
    "application_invited": {
        "en": "I found your application{role_part}, from {date}. Good news: you're invited to a short interview. "
              "We sent you the link by text message.",
        "es": "Encontré su solicitud{role_part}, del {date}. Buenas noticias: está invitado a una breve entrevista. "
              "Le enviamos el enlace por mensaje de texto.",
    },
    "application_approved": {
        "en": "I found your application{role_part}, from {date}. Good news: you're invited to a short interview. "
              "You'll get the link by text message shortly.",
        "es": "Encontré su solicitud{role_part}, del {date}. Buenas noticias: está invitado a una breve entrevista. "
              "En breve recibirá el enlace por mensaje de texto.",
    },
    "application_closed": {
        "en": "I found your application{role_part}, from {date}. It is closed. Thank you for your interest.",
        "es": "Encontré su solicitud{role_part}, del {date}. Está cerrada. Gracias por su interés.",
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
    # A start date read back that is today or tomorrow says so: "whenever" is "today, Wednesday, June 11".
    "date_today": {"en": "today, {date}", "es": "hoy, {date}"},
    "date_tomorrow": {"en": "tomorrow, {date}", "es": "mañana, {date}"},
    "answer_yes": {"en": "yes", "es": "sí"},
    # A quantity read back in words with its unit (spoken_quantity): "2 years and 6 months".
    "years_one": {"en": "1 year", "es": "1 año"},
    "years_many": {"en": "{n} years", "es": "{n} años"},
    "months_one": {"en": "1 month", "es": "1 mes"},
    "months_many": {"en": "{n} months", "es": "{n} meses"},
    "quantity_and": {"en": " and ", "es": " y "},
    "decimal_point": {"en": ".", "es": ","},
    # Company text said aloud (for_voice): what a written symbol or abbreviation means.
    "per_hour": {"en": "an hour", "es": "por hora"},
    "per_week": {"en": "a week", "es": "por semana"},
    "per_month": {"en": "a month", "es": "al mes"},
    "per_year": {"en": "a year", "es": "al año"},
    "symbol_and": {"en": "and", "es": "y"},
    "symbol_with": {"en": "with", "es": "con"},
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
    # A number to text, asked when the caller ID takes no texts (engine.flow, voice only), and
    # read back digit by digit, in its groups ({groups}: ["202", "555", "0123"]).
    "ask_text_number": {
        "en": "What's a mobile number where we can text you the details? You can say it or key it in, "
              "then press pound. If you don't have one, say no.",
        "es": "¿A qué número de celular le podemos enviar los detalles por mensaje de texto? Puede decirlo o "
              "marcarlo, y luego oprimir numeral. Si no tiene uno, diga no.",
    },
    "ask_text_number_keys": {
        "en": "Type the mobile number on your keypad, then press pound.",
        "es": "Marque el número de celular en su teclado y luego oprima numeral.",
    },
    "read_back_text_number": {
        "en": "I have {number}. Is that right?",
        "es": "Tengo el {number}. ¿Es correcto?",
    },
    "goodbye_texted": {
        "en": "Thank you{name_part}. You'll get a text message at that number in a moment to confirm your "
              "details. Goodbye.",
        "es": "Gracias{name_part}. En un momento recibirá un mensaje de texto en ese número para confirmar sus "
              "datos. Adiós.",
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
    "message_passed": {  # a text after the call that asks something only a person can answer
        "en": "Thanks, I've passed your message to a recruiter, who will get back to you.",
        "es": "Gracias, le pasé su mensaje a un reclutador, que se comunicará con usted.",
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
    # A reaction to one of our texts (a tap, sms_screening.reactions) while a question waits.
    "reaction_not_answer": {
        "en": "I can't take a reaction as an answer. Please type your answer:",
        "es": "No puedo tomar una reacción como respuesta. Por favor escriba su respuesta:",
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


def spoken_date(day: dt.date, language: str, weekday: bool = False) -> str:
    """A date as said to the caller: "November 18" / "18 de noviembre" (no year); with
    ``weekday``, "Wednesday, November 18" / "miércoles 18 de noviembre", so that a caller who
    said "in two weeks" or "en quince días" can check what was understood."""
    words = find_language(language).words.dates
    form = words.spoken_weekday_format if weekday else words.spoken_format
    return form.format(month=words.months[day.month - 1], day=day.day, weekday=words.weekdays[day.weekday()])


def status_words(status: str, language: str) -> str:
    """A conversation status (a ``ConversationStatus`` value) as the caller should hear it:
    "completed" -> "received and under review"; an unknown status is said as it is."""
    return find_language(language).words.status_words.get(status, status)


def spoken_quantity(value: float, unit: str | None, language: str) -> str:
    """A number answer as the caller should hear it read back, with its question's ``unit``
    ("years", "months" or None): 0.5 years -> "6 months", 2.5 -> "2 years and 6 months",
    1 -> "1 year"; "1 año y 6 meses"; without a unit 2.5 -> "2.5" / "2,5" (a voice reads
    "0.5" as "zero point five", and a Spanish one reads the point as English writes it)."""
    def count(n: int, unit_key: str) -> str:
        return _phrase(f"{unit_key}_one" if n == 1 else f"{unit_key}_many", language, "voice").format(n=n)

    if unit == "years":
        years, months = int(value), round((value - int(value)) * 12)
        years, months = (years + 1, 0) if months == 12 else (years, months)
        parts = ([count(years, "years")] if years or not months else []) + ([count(months, "months")] if months else [])
        return _phrase("quantity_and", language, "voice").join(parts)
    if float(value).is_integer():
        return count(int(value), "months") if unit == "months" else str(int(value))
    number = f"{value:g}".replace(".", _phrase("decimal_point", language, "voice"))
    return _phrase("months_many", language, "voice").format(n=number) if unit == "months" else number


# Written shorthand a voice reads letter by letter or by the symbol's name ("slash"), and
# the phrase that says it: "$19.50/hr" -> "$19.50 an hour", "w/ benefits" -> "with benefits".
_PER_UNIT = re.compile(r"\s*/\s*(?:(hr|hrs|hour|h|hora)|(wk|week|semana)|(mo|month|mes)|(yr|year|año))\b", re.I)
_PER_KEYS = ("per_hour", "per_week", "per_month", "per_year")
_WITH = re.compile(r"\bw/\s*", re.I)
_AND = re.compile(r"\s*&\s*")
_WORD_SLASH_WORD = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")
_AND_OR = re.compile(r"\b(?:and|y)/(or|o)\b", re.I)


def for_voice(text: str, language: str) -> str:
    """Written ``text`` (a company's policy, a job title) as a voice should read it in
    ``language``: a rate's unit in words ("$19.50/hr" -> "$19.50 an hour", "por hora"),
    "w/" -> "with", "&" -> "and" ("y"), "and/or" -> "or", "days/nights" -> "days or
    nights"; a web or email address is left as written (a voice reads it out by its dots).
    Numbers, prices and times stay digits: Twilio's voices read "$19.50", "7:00 AM" and
    "1-800-555-0100" as a person would."""
    def say(key: str) -> str:
        return _phrase(key, language, "voice")

    def plain(token: str) -> str:
        if "://" in token or "@" in token or token.lower().startswith("www.") or re.search(r"\w\.\w+/", token):
            return token
        token = _AND_OR.sub(lambda m: m.group(1), token)
        return _WORD_SLASH_WORD.sub(f" {say('or')} ", token)

    text = _PER_UNIT.sub(lambda m: " " + say(_PER_KEYS[next(i for i, g in enumerate(m.groups()) if g)]), text)
    text = _WITH.sub(say("symbol_with") + " ", text)
    text = _AND.sub(f" {say('symbol_and')} ", text)
    return re.sub(r"\S+", lambda m: plain(m.group()), text)


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
    """A read-back with the yes/no instructions (none when brief). A date is said with its
    weekday, and as today or tomorrow when it is one (``p["today"]``, the agent's date)."""
    value = p["value"]
    if p.get("statement"):
        said = _phrase("read_back_statement", language, channel).format(statement=p["statement"])
    else:
        if p["kind"] == "yes_no":
            value = _phrase("answer_yes" if value else "answer_no", language, channel)
        elif p["kind"] == "number" and isinstance(value, (int, float)):
            value = spoken_quantity(value, p.get("unit"), language)
        elif isinstance(value, dt.date):
            relative = {0: "date_today", 1: "date_tomorrow"}.get((value - p["today"]).days) if p.get("today") else None
            value = spoken_date(value, language, weekday=True)
            if relative:
                value = _phrase(relative, language, channel).format(date=value)
        said = _phrase("read_back_answer", language, channel).format(question=p["question"], answer=value)
    return said if p.get("brief") else f"{said} {_phrase('help_yes_no', language, channel)}"


# Parameters the company wrote (its greeting, questions, options, policies, posting titles),
# not the candidate: a curly quote or a dash pasted from a word processor would send the
# whole text as UCS-2 at 70 characters a segment (engine.gsm7), so texts carry their GSM-7
# forms. The candidate's own words (name, email, an answer read back) are sent as they are.
COMPANY_WRITTEN = frozenset({"text", "custom", "options", "roles", "title", "company", "job", "question",
                             "statement"})


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return plain_punctuation(value)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [plain_punctuation(item) for item in value]
    return value


def render(line: Line, language: str, channel: str = "voice") -> str:
    """The words for ``line`` in ``language`` ("en"/"es") on ``channel`` ("voice"/"sms").

    Raises KeyError for an unknown phrase key (a programming error, not caller input).
    By text, the company's words (:data:`COMPANY_WRITTEN`) go with GSM-7 punctuation.
    """
    p = dict(line.params)
    if channel == "sms":
        p.update({k: _plain(v) for k, v in p.items() if k in COMPANY_WRITTEN})
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
    if line.key.startswith("application_") and line.key != "application_in":
        p["role_part"] = f" ({p['role']})" if p.get("role") else ""
    if line.key == "ask_text_number" and p.get("keys_only"):
        return f"{_phrase('keypad_only', language, channel)} {_phrase('ask_text_number_keys', language, channel)}"
    if line.key == "read_back_text_number":
        # Digit by digit, a pause between groups: "2 0 2, 5 5 5, 0 1 2 3" (a voice reads "202" as a number).
        p["number"] = ", ".join(" ".join(group) for group in p["groups"])
        return f"{_phrase(line.key, language, channel).format(**p)} {_phrase('help_yes_no', language, channel)}"
    if line.key in ("goodbye", "goodbye_no_text", "goodbye_texted"):
        p["name_part"] = f", {p['name']}" if p.get("name") else ""
    if line.key == "confirm_details":
        p["name_part"] = f" {p['name']}" if p.get("name") else ""
        p["email_ask"] = "" if p.get("has_email") else _phrase("confirm_email_ask", language, channel)
        p["details"] = "\n".join(_phrase(f"detail_{field}", language, channel).format(
            value=value or _phrase("not_captured", language, channel)) for field, value in p["details"])
    return _phrase(line.key, language, channel).format(**p)


# A quote cut short by the phone ("Hi Jane, thanks for calling Acme. Here is…") still names
# its phrase when this much of the phrase's own wording (not its parameters) is in it.
MIN_CUT_WORDING = 20
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*$")


def _normal(text: str) -> str:
    """Spaces and line breaks as one space, typographic punctuation as GSM-7's, casefolded."""
    return " ".join(plain_punctuation(text).casefold().split())


@functools.lru_cache(maxsize=None)
def _wording(key: str, language: str, channel: str) -> tuple[str, ...]:
    """The phrase's own words between its parameters, normalised (:func:`_normal`)."""
    return tuple(_normal(part) for part in re.split(r"\{\w+\}", _phrase(key, language, channel)))


def is_phrase(text: str, keys: Sequence[str], channel: str = "sms") -> bool:
    """Whether ``text`` is one of the phrases ``keys`` as we render it, in any language, any
    parameters filled in: whole, or its start (as a phone quotes a long text it reacts to,
    cut with "…" or not) holding at least ``MIN_CUT_WORDING`` characters of the phrase's
    wording. Spaces, line breaks, case and curly quotes aside."""
    said = _normal(_ELLIPSIS.sub("", text))
    for key in keys:
        for language in LANGUAGES:
            parts = _wording(key, language, channel)
            for n in range(len(parts), 0, -1):
                whole = n == len(parts)
                if not whole and sum(map(len, parts[:n])) < MIN_CUT_WORDING:
                    continue
                pattern = r"\s*.*?\s*".join(re.escape(part) for part in parts[:n])
                if (re.fullmatch(pattern, said, re.DOTALL) if whole
                        else re.match(pattern, said, re.DOTALL)) is not None:
                    return True
    return False
