"""Spanish: the words callers use and the words they hear (see ``vocabulary`` for the format)."""
from .vocabulary import (ChoiceWords, DateWords, EmailWords, NameWords, NumberWords, PhoneWords, Vocabulary,
                         YesNoWords)

_UNITS = r"(?:a[ñn]os?|mes(?:es)?|semanas?|d[ií]as?|horas?|d[eé]cadas?|docenas?)"

WORDS = Vocabulary(
    yes_no=YesNoWords(
        yes="si|claro|por supuesto|correcto|asi es|claro que si|desde luego|exacto"
        "|exactamente|cierto|efectivamente|afirmativo|seguro|sin duda|no hay problema"
        "|sin problema|como no|por que no|con gusto|si senor|si senora|sip|simon que si|obvio|obviamente"
        "|no hay bronca|ningun problema|no hay ningun problema|no tengo problema|no tengo ningun problema"
        "|no hay inconveniente|ningun inconveniente|no tengo inconveniente|no hay pedo|no hay tos"  # no problem
        "|a huevo",
        yes_loose="creo que si|pienso que si|me parece que si",
        no="no|para nada|nunca|jamas|negativo|claro que no|por supuesto que no"
        "|de ninguna manera|tampoco|todavia no|aun no|ahorita no|ahora no|ya no|no todavia"
        "|creo que no|no se puede|en absoluto|nel|nel pastel|nop|nones|nah|obvio que no|obviamente no"
        "|ni de chiste|ni de broma|ni loco|ni loca",
        no_loose="me temo que no|parece que no|no creo|probablemente no|ni en suenos|ni sonando",
        yes_alone="s|yes|yeah|yep|yup",  # typed in a text; Spanglish
        yes_alone_spoken="simon",  # Mexican "yes"
        # "Ojalá tuviera", "ya quisiera": a wish for what is not so (a bare "ojalá" may be a hope).
        no_alone="n|nope|ojala pudiera|ojala tuviera|ojala fuera|ojala estuviera|ya quisiera|ya quisiera yo",
        acknowledgements="ok|okay|okey|oki|vale|de acuerdo|bueno|esta bien|sale|orale|aja"
        "|entendido|perfecto|muy bien|bien",
        # The question's verb (usted or tú) -> its first person: "¿Tiene ...?" -> "tengo".
        echoes={
            **{verb: (first, "") for verbs, first in (
                ("tiene|tienes", "tengo|lo tengo|la tengo"),
                ("puede|puedes", "puedo|lo puedo hacer"),
                ("esta|estas", "estoy|lo estoy"),
                ("es|eres", "soy|lo soy"),
                ("cuenta|cuentas", "cuento|si cuento|cuento con"),
                ("ha|has", "he|lo he"),
                ("habla|hablas", "hablo"),
                ("maneja|manejas", "manejo"),
                ("trabaja|trabajas", "trabajo"),
                ("vive|vives", "vivo"),
                ("acepta|aceptas", "acepto"),
                ("podria|podrias", "podria|puedo"),
                ("tendria|tendrias", "tendria|tengo"),
                ("estaria|estarias", "estaria|estoy"),
                ("quiere|quieres", "quiero"),
                ("sabe|sabes", "se|lo se"),
            ) for verb in verbs.split("|")},
        },
        unsure="no se|no estoy seguro|no estoy segura|tal vez|quizas|quiza"
        "|a lo mejor|depende|mas o menos|puede ser|no sabria decir|no lo se",
        # "si" without its accent is also "if": "sí, si me ayudan" is conditional.
        hedges="si me|si le|si te|si nos|si hay|si es necesario|si me ayudan|solo si|siempre que"
        "|siempre y cuando|con ayuda|con tal de|con tal que|dependiendo|ojala|prefiero|preferiria"
        "|a veces|casi|pronto|mas bien|con un|con una|con el|con la|antes|solia|usaba",
        weakeners="pero|aunque|probablemente|excepto|menos|solo|nomas",
        echo_tail=frozenset("uno una ella el ello eso esa ese ellas ellos tambien ya si claro".split()),
        number_hedges="cumplo|cumplire|voy a cumplir|proximo|que viene|en|hasta|tenia|casi|ojala|quisiera",
        negators=frozenset("no nunca jamas".split()),
        unsure_when_negated=frozenset({"seguro"}),
        lapsed="vencido|vencida|vencio|se vencio|se me vencio|expirado|expirada|expiro|en tramite"
        "|en proceso|tramitando|pendiente|esperando|solicite|estoy solicitando|aplique|voy a sacar|estoy sacando"
        "|sacando",
        # A bare "no, sí" stays unclear; with "pues" or a verb it is a yes.
        turnarounds="no pues si|no pos si|no ps si|no bueno si|no este si|no si puedo|no si tengo|no si soy"
        "|no si estoy|no si cuento",
        laughter=frozenset("jaja jajaja jajajaja jeje jejeje lol".split()),
    ),
    numbers=NumberWords(
        zero=r"\b(?:ninguno|ninguna|ningun|nada|sin experiencia|no tengo experiencia|nunca|no tengo$)\b",
        phrases=(
            (r"\bun par(?: de)?\b", "2"),
            (r"\buna docena\b", "12"),
            (r"\bun[oa]s\b", "algunos"),  # "unos años": some, not one
            (rf"\b(?:en|de) una?\s+(?!{_UNITS}\b)", "en "),  # "en un almacén": an article
            (rf"\bmedi[oa]\s+(?={_UNITS}\b)", "0.5 "),  # "medio año"; "y medio" is `half`
            # "año y medio" with no number: one and a half (the singular rules out "dos").
            (r"(?<!\d )(?<!\bun )(?<!\buno )\b(?=(?:ano|mes) y medi[oa]\b)", "1 "),
        ),
        half=r"y medi[oa]",
        range_joiner=r"(?:o )?tal vez|(?:o )?quizas?|o a lo mejor|o|u|a|hasta|-|–",  # "año y medio tal vez dos"
        between=("entre", "y"),
        decimal_comma=True,
        point=r"punto|coma",
        multipliers={r"docenas?": 12, r"cientos?": 100},
        units={r"decadas?": 120, r"anos?": 12, r"mes(?:es)?": 1, r"semanas?": 12 / 52,
               r"dias?": 12 / 365},
        since=r"desde el ano|desde el|desde|a partir del?|empece en|comence en",
        since_age=r"desde que tenia|desde los|desde que era|cuando tenia|desde chic[oa]",
        until_now=r"(?:hasta|a) (?:ahora|hoy|la fecha|el presente|este ano)",
        above=r"mas de|arriba de|encima de|mayor de|mayor que|pasad[oa] de",
        at_least=r"por lo menos|al menos|como minimo|o mas|o mayor|y pico|y algo",
        below=r"menos de|menor de|menor que|debajo de|ni siquiera|ni|no llega a|no llego a",
        starting=r"\b(?:(?:apenas|recien|hace poco) (?:empece|empiezo|comence|comienzo|estoy empezando"
        r"|voy empezando|empezando|comenzando|inicie)|acabo de (?:empezar|comenzar|iniciar)"
        r"|soy nuev[oa]|estoy empezando|voy empezando)\b",
        adult=r"\bmayor de edad\b",
        minor=r"\bmenor de edad\b",
    ),
    dates=DateWords(
        months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                "septiembre", "octubre", "noviembre", "diciembre"),
        weekdays=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        month_aliases={"setiembre": 9, "ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6,
                       "jul": 7, "ago": 8, "sep": 9, "sept": 9, "set": 9, "oct": 10, "nov": 11,
                       "dic": 12},
        spoken_format="{day} de {month}",
        spoken_weekday_format="{weekday} {day} de {month}",
        # "ya mero", "ya casi" (almost, soon) are no "ya" (now); "luego luego" is right away.
        now=r"ahorita mismo|ahorita|ahora mismo|ahora|ya mismo|ya(?! (?:mero|merito|casi|pronto)\b)|inmediatamente"
        r"|de inmediato|hoy mismo|hoy|cuanto antes|lo antes posible|lo mas pronto posible|luego luego|de volada",
        tomorrow=r"(?<!la )manana",  # "por la mañana" is "in the morning"
        day_after_tomorrow=r"pasado manana",
        this_weekday=r"este|esta",
        next_week=r"(?:la )?proxima semana|(?:la )?semana que viene|(?:la )?semana proxima",
        next_month=r"(?:el )?proximo mes|(?:el )?mes que viene|(?:el )?mes proximo",
        # text2num has already turned "una semana" into "1 semana".
        offset=r"\b(?:(?:en|dentro de|despues de)\s+)?(?P<n>\d+|(?:un|1) par de)\s+"
        r"(?P<unit>dias?|semanas?|mes(?:es)?)\b",
        offset_two=r"(?:un|1) par de",
        units={"dia": "day", "semana": "week", "mes": "month"},
        days_meaning_weeks={8: 1, 15: 2},
        the=r"el",
        of=r"de|del",
        ordinal=r"o|a|er|ero|era|ro|ra",  # "1º", "1ª" fold to "1o", "1a"; "1.er" is rejoined; "1ro" texted
        day_prefix=r"el dia|el|dia|del dia|del",  # "a partir del 15"
        month_prefix=r"en|para|a principios de|principios de|a inicios de|inicios de",
        date_order="DMY",
        past=r"\b(?:hace (?:\d+|(?:un|1) par de|unos|unas|poco) (?:dias?|semanas?|mes(?:es)?|anos?)|hace poco"
        r"|ayer|anteayer|antier|antes de ayer|(?:la|el) (?:semana|mes|ano) pasad[oa]"
        r"|(?:el )?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo) pasado"
        r"|(?:el )?pasado (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)|ya empece"
        r"|(?:la )?semana antepasada|(?:el )?fin de semana (?:pasado|antepasado))\b",
        from_now=r"a partir de hoy|desde hoy|contando desde hoy",
        this_month=r"este mes|el mes|mes en curso",
        month_parts={r"(?:a )?(?:principios|inicios|comienzos) del?": "start",
                     r"(?:a )?mediados del?": "middle",
                     r"(?:a )?(?:finales|fines|fin) del?": "end"},
        week_of=r"(?:la )?(?:(?P<n>[1-5])(?:a|era)|(?P<last>ultima)) semana del?",
        # "fin de semana" alone is the weekend ("fines de semana": weekends, a shift); "a fin de
        # semana", "fin de la semana" its end.
        end_of_week=r"(?:a )?finales de (?:la |esta )?semana|a fin de semana|(?:a )?fin(?:es)? de (?:la|esta) semana",
        weekend=r"(?:(?:este|el) )?(?:(?P<next>proximo) )?fin de semana(?: (?P<next2>que viene|proximo|siguiente))?",
        week_after_next=r"(?:la )?semana (?:despues de|siguiente a) la (?:proxima|que viene)",
        after=r"despues de(?!l\b)|despues",  # "después del 15": "del 15" is the day (``day_prefix``)
        after_lead=r"justo|ya|hasta|no hasta|cualquier dia|en cualquier momento|algun dia",
        next_one=r"(?:la|el) (?:proxima|proximo|que viene)",
        whenever=r"cuando sea|cuando (?:(?:usted|ustedes) )?(?:quiera|quieran|guste|gusten|necesite|necesiten"
        r"|diga|digan)|en cualquier momento|cualquier dia|cuando me necesiten",
        the_month=r"mes",
        bound=r"(?<!semana )despues de(?! \d)|despues del|antes de|antes del|hasta|a mas tardar|algun dia",
        asks=r"que|cual|cuando|como|por que|quien|es|puedo|podria",
        from_day=r"despues del|a partir del|desde el",
        year_only=r"el ano que viene|el proximo ano|el ano proximo|este ano|en un ano|dentro de un ano",
        holidays={
            r"(?:la )?nochevieja|fin de ano": "12-31", r"(?:el )?ano nuevo": "01-01",
            r"(?:la )?nochebuena": "12-24", r"(?:la )?navidad|(?:el )?dia de navidad": "12-25",
            r"(?:el )?(?:dia de )?accion de gracias": "11:3:4", r"(?:el )?viernes negro|black friday": "11:3:4+1",
            r"(?:el )?4 de julio|(?:el )?dia de la independencia": "07-04",
            r"(?:el )?dia del trabajo": "09:0:1", r"(?:el )?dia de los caidos": "05:0:-1",
            r"(?:el )?dia de (?:los )?reyes": "01-06",
            r"(?:a )?(?:principios|inicios|comienzos) del? (?:ano|proximo ano|ano que viene)": "01-01",
            r"(?:el )?(?:1o|1ro|1|primero) del? (?:ano|proximo ano|ano que viene)": "01-01",
        },
        ordinal_split=r"er|ero|era|ro|ra|o|a",
        filler=r"eh|em+|pues|creo que|puedo empezar|podria empezar|puedo comenzar"
        r"|podria comenzar|empezar|comenzar|a partir del?|desde el|estoy disponible"
        r"|disponible|para el|el",
    ),
    choices=ChoiceWords(  # "1º", "1ª" fold to "1o", "1a"
        ordinals=("primero|primera|primer|1o|1a", "segundo|segunda|2o|2a",
                  "tercero|tercera|tercer|3o|3a", "cuarto|cuarta|4o|4a", "quinto|quinta|5o|5a",
                  "sexto|sexta", "septimo|septima", "octavo|octava", "noveno|novena",
                  "decimo|decima"),
        last="ultimo|ultima",
        cardinals=("uno|una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
                   "diez"),
        number_cues=frozenset("numero opcion la el marco".split()),
        fillers=frozenset("eh em emm mm mmm ah pues".split()),
        function_words=frozenset("los las del con para una uno".split()),
        any_words="cualquiera|cualquier|cualquier turno|cualquiera de los dos|me da igual|da igual|me da lo mismo"
        "|da lo mismo|lo que tengan|lo que haya|lo que necesiten|el que tengan"
        "|me es igual|lo que sea|no importa|no me importa|me es indiferente|ambos|ambas|los dos"
        "|las dos|todos|todas|sin preferencia|flexible|soy flexible|el que sea|la que sea"
        "|lo que ustedes necesiten|a cualquier hora|cuando sea|cuando quieran|cuando ustedes quieran|como sea"
        "|como ustedes quieran|lo que digan|lo que ustedes digan|el que ustedes digan|la que ustedes digan|el que digan"
        "|la que digan|no tengo preferencia"
        "|puedo cualquiera",
        both_words=frozenset("y ambos ambas".split()),
        except_words="menos|excepto|salvo|fuera de|todo menos",
        meanings=(
            "dia|dias|de dia|turno de dia|en el dia|diurno|turno diurno|manana|mananas|en la manana"
            "|por la manana|matutino|turno matutino|primer turno",
            "noche|noches|de noche|turno de noche|en la noche|por la noche|nocturno|turno nocturno"
            "|tercer turno",
            "tarde|tardes|en la tarde|por la tarde|vespertino|turno vespertino|segundo turno",
            "fin de semana|fines de semana|sabado y domingo|sabados y domingos|sabado domingo"
            "|finde|findes",
            "tiempo completo|full time",
            "medio tiempo|tiempo parcial|part time",
            # Familias de empleos por hora (nombres, actividades): ver en.py.
            ("chofer|choferes|chofer de reparto|chofer de camion|conductor|conductora|conductor de camion"
             "|camion|camiones|camioneta|camionero|camionera|troca|trocas|trailero|trailer|repartidor"
             "|repartidora|reparto|repartos|entregas|mensajero|licencia cdl|cdl|licencia de manejo"
             "|licencia de conducir",
             "manejar|manejando|manejo|maneje|conducir|conduciendo|conduzco|repartir|repartiendo|entregar"
             "|entregando|manejar troca|manejar camion"),
            ("montacargas|montacarga|montacarguista|montacarguistas|operador de montacargas"
             "|operadora de montacargas|chofer de montacargas|forklift|fork lift|el lift",
             # Un montacargas también se maneja: "manejar" solo es cualquiera de los dos.
             "manejar|manejando|manejo|maneje|conducir|conduciendo|operar|operando|manejar montacargas"
             "|manejo montacargas|manejando montacargas|operar montacargas"),
            ("almacen|almacenes|bodega|bodegas|bodeguero|bodeguera|almacenista|empacador|empacadora"
             "|empacadores|empaque|surtidor|surtidora|cargador|cargadora|estibador|ayudante general"
             "|trabajo general|centro de distribucion",
             "empacar|empacando|empaco|surtir|surtiendo|surtiendo pedidos|cargar|cargando|descargar"
             "|descargando|acomodar|acomodando|estibar"),
            ("cocinero|cocinera|cocina|ayudante de cocina|preparador de alimentos", "cocinar|cocinando|cocino"),
            ("cajero|cajera|cajeros|cajeras", "cobrar|cobrando"),
            ("limpieza|conserje|intendencia|intendente|afanador|afanadora|personal de limpieza"
             "|housekeeping|mucama|recamarera",
             "limpiar|limpiando|limpio|trapear"),
            ("guardia|guardia de seguridad|seguridad|vigilante|guardias|oficial de seguridad",
             "vigilar|vigilando|cuidar la entrada"),
            ("cuidador|cuidadora|cuidadores|cuidado de ancianos|cuidado en casa|asistente de salud en el hogar"
             "|enfermera auxiliar|cna",
             "cuidar|cuidando|cuido"),
        ),
    ),
    email=EmailWords(
        symbols={"_": r"guion bajo|barra baja", "@": r"arroba", ".": r"punto", "-": r"guion"},
        preamble=frozenset("mi correo es electronico direccion email si claro pues este eh"
                            " seria".split()),
    ),
    names=NameWords(
        cues="me llamo|mi nombre es|mi nombre|nombre es|nombre|yo me llamo|el nombre es"
        "|mi nombre completo es|mi nombre completo|nombre completo",
        intros="soy|yo soy|me dicen|me llaman|puede llamarme|puedes llamarme|llameme|llamame"
        "|habla|le habla|te habla",  # "habla Miguel": this is Miguel, on the phone
        # Also what opens an answer before the name: "pues", "bueno", "sí claro".
        greetings="hola|si|buenos dias|buenas tardes|buenas noches|buenas|claro|si claro|pues"
        "|bueno|bueno pues|ok|okay|vale|ah|oh|ya|o sea|a ver|si senor|si senora|si senorita",
        fillers="eh|em|ehm|este|mmm|mm|ehh|se escribe|deletreado",
        courtesies="gracias|muchas gracias|mil gracias|por favor|adios|eso es todo|es todo"
        "|para servirle|para servirte|a sus ordenes|a la orden|mucho gusto|un gusto|encantado|encantada"
        "|grax|porfa|xfa|jaja|jajaja",  # as texted
        titles="senor|senora|senorita|sr|sra|srta|don|dona",
        parts={"first": "primer nombre",
               "middle": "segundo nombre",
               "last": "apellido|apellidos|primer apellido|segundo apellido"},
        joiners="y|es|mi|mis|son|y mi|y mis|el|y el",
        non_answers="no se|no lo se|ni idea|no estoy seguro|no estoy segura|no|por que|para que"
        "|que|quien|como|cual|donde|perdon|disculpe|repita|puede repetir|prefiero no"
        "|no quiero|no tengo|ninguno|nada|nadie|es un secreto|siguiente pregunta",
        particles="de|del|la|las|los|y",
    ),
    confirm_words="confirmo|confirmado|todo bien",
    deny_words="mal|esta mal|estan mal|incorrecto|no es correcto|no esta bien|equivocado|hay un error|error"
    "|esta mal escrito|mal escrito|el nombre esta mal|nombre equivocado|no soy yo|ese no es mi nombre",
    corrections="no espera|espera|no perdon|perdon|perdona|disculpa|digo|mejor dicho|mejor|quiero decir"
    "|no mejor|corrijo|me equivoque",
    repeat_requests="repita|repitame|repite|repiteme|me repite|puede repetir|podria repetir|otra vez|de nuevo"
    "|cual era la pregunta|cual es la pregunta|que pregunto|que dijo|que dice|no escuche|no le escuche"
    "|no le oi|no entendi|no le entendi|no entiendo|no entiendo la pregunta|como dijo|como dice",
    repeat_alone="como|que|mande|perdon|disculpe",  # "como 3 años" is "about 3 years"
    closings="no|no gracias|eso es todo|es todo|eso seria todo|nada|nada mas|estoy bien|asi esta bien|ya esta"
    "|adios|hasta luego|bye|gracias|muchas gracias|que tenga buen dia",
    human_requests="una persona|persona real|un humano|humano|representante|operador|operadora|un agente"
    "|hablar con alguien|hablar con una persona|hablar con un reclutador|hablar con una reclutadora"
    "|comunicarme con alguien|con alguien de verdad",
    identity_questions="eres un robot|es un robot|es usted un robot|eres una maquina|es una maquina|eres real"
    "|es real|eres una persona|es una persona|es usted una persona|es una persona real|eres una persona real"
    "|eres humano|es humano|es usted humano|es una grabacion|es un mensaje grabado|es automatico|eres automatico"
    "|eres una computadora|es una computadora|eres inteligencia artificial|es inteligencia artificial"
    "|estoy hablando con una persona|estoy hablando con un robot|estoy hablando con una maquina"
    "|hablo con una persona|hablo con un robot|con quien hablo|con quien estoy hablando|quien habla|quien es",
    hold_requests="un momento|un momentito|un segundo|un segundito|espere|espereme|esperame|espere un momento"
    "|deme un segundo|dame un segundo|deme un momento|dejeme pensar|dejame pensar|dejeme ver|dejame ver",
    hesitations="bueno|pues|este|o sea|ah|eh",
    phone=PhoneWords(
        digits={"cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4",
                "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9"},
        repeats={"doble": 2, "triple": 3},
        no_number="no tengo|no tengo celular|no tengo otro|no tengo otro numero|no tengo telefono|no tengo uno"
        "|no tengo movil|no tengo cel|ninguno|no|nada|solo este|solo tengo este|es el unico|este es el unico",
    ),
    menu={"apply": ("solicitar", "empleo", "trabajo", "aplicar"),
          "status": ("estado", "consultar", "mi solicitud"),
          "question": ("pregunta", "hacer una pregunta", "información", "preguntas")},
    language_names={"en": ("inglés", "ingles"), "es": ("español", "espanol")},
    yes_no_hints=("sí", "no"),
    date_hints=("de inmediato", "mañana", "el próximo lunes", "en dos semanas"),
    status_words={"in_progress": "sin terminar", "completed": "recibida y en revisión",
                  "knocked_out": "cerrada", "abandoned": "sin terminar"},
    stopwords=frozenset("""
el la los las un una unos unas y o de del que en por para con mi mis su sus es son hay tienen
tiene me le lo se yo usted ustedes nos puedo puede quiero favor pues este esta
""".split()),
)
