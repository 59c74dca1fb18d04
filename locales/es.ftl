# Las páginas públicas de agradecimiento, en español.

## About the language itself
language-name = Español
locale-date = es_ES
locale-number = es
date-format = %A, %-d de %B
language-nav = Idioma

## The form
form-title = Da las gracias a { $name }
form-lead = Cuéntale a { $name } qué hizo bien. Te llevará un minuto y no necesitas una cuenta.
summary-title = Revisa tu mensaje, por favor
summary-expired = Este formulario ha caducado. Lo hemos renovado: pulsa Enviar otra vez.
error-prefix = Error: { $message }
message-label = Tu mensaje (obligatorio)
message-hint = ¿Qué hizo { $name } que quieras agradecerle? Hasta { $max } caracteres.
value-legend = ¿Qué demostró? (opcional)
value-hint = Elige el que mejor encaje o déjalo en nuestras manos.
value-none = No estoy seguro: elegid vosotros
value-helping_others = Ayudar a los demás
value-helping_others-hint = Hizo todo lo posible por ayudar a un compañero o a un cliente.
value-exceeding_expectations = Superar las expectativas
value-exceeding_expectations-hint = Hizo más, o lo hizo mejor, de lo que nadie pedía.
value-achieving_goals = Lograr los objetivos
value-achieving_goals-hint = Consiguió un resultado importante, a tiempo.
value-responding_with_care = Atender con cariño
value-responding_with_care-hint = Escuchó, comprendió y respondió con amabilidad.
value-thriving_through_teamwork = Crecer trabajando en equipo
value-thriving_through_teamwork-hint = Hizo más fuerte al equipo trabajando juntos.
name-label = Tu nombre (opcional)
name-hint = Se muestra junto a tu mensaje, si lo indicas.
email-label = Tu correo electrónico (opcional)
email-hint = Solo lo ven nuestros moderadores, por si necesitan preguntarte algo. Nunca lo publicamos y lo borraremos si nos lo pides.
consent-label = Enviadme un único correo cuando mi agradecimiento llegue a { $name } (nada más, nunca)
private-label = Mantener mi agradecimiento en privado: solo lo ven { $name } y sus responsables, nunca el muro público
honeypot-label = Deja este campo vacío
press-send-again = Pulsa Enviar otra vez, por favor.
needs-js = Este formulario necesita JavaScript activado: hace una breve comprobación en tu navegador que mantiene fuera a los robots.
send = Enviar mi agradecimiento
sending = Enviando tu mensaje…
privacy-note = Un moderador lee tu mensaje antes de que lo vean los compañeros de { $name }.

## What each field is called in the list of problems
field-message = Tu mensaje
field-value = Qué demostró
field-customer_name = Tu nombre
field-customer_email = Tu correo electrónico
field-email_consent = Enviadme un único correo

## Problems with what was typed
error-message-empty = Escribe un mensaje, por favor.
error-message-too-long = Acorta tu mensaje a { $max } caracteres como máximo, por favor.
error-message-invalid = Tu mensaje contiene caracteres que no podemos aceptar. Quítalos, por favor.
error-name-too-long = Acorta tu nombre a { $max } caracteres como máximo, por favor.
error-name-invalid = Tu nombre contiene caracteres que no podemos aceptar.
error-email-invalid = Escribe una dirección como nombre@ejemplo.com o deja el campo vacío.
error-consent-needs-email = Indica tu correo para que podamos escribirte, o desmarca esta casilla.
error-value-invalid = Elige uno de los valores, o «No estoy seguro».
error-value-unsure = No hemos sabido deducir de tu mensaje cuál de estos demuestra. Elige el que mejor encaje, o vuelve a elegir «No estoy seguro» y decidirá un moderador.

## After sending
thanks-title = ¡Gracias!
thanks-received = Hemos recibido tu mensaje para { $name }.
thanks-received-anonymous = Hemos recibido tu mensaje.
thanks-moderation = Un moderador lee cada mensaje antes de compartirlo con el equipo, normalmente como tarde el { $date }.
thanks-closing = Palabras amables como las tuyas son las que hacen que el trabajo valga la pena.

## Pages for when something is in the way
unavailable-title = Ahora mismo no hemos podido recibir tu mensaje
unavailable-text = Algo falla momentáneamente por nuestra parte. Vuelve atrás y envíalo de nuevo dentro de un minuto.
failed-title = Algo ha salido mal
failed-text = No hemos podido mostrar esta página. Vuelve atrás e inténtalo de nuevo dentro de un minuto.
too-long-title = Ese mensaje es demasiado largo
too-long-text = Vuelve atrás, acorta tu mensaje y envíalo de nuevo.
wait-title = Espera un momento, por favor
wait-text = Acabamos de recibir muchos mensajes desde aquí. Inténtalo de nuevo dentro de { $wait }.
wait-seconds = { $n ->
    [one] un segundo
   *[other] { $n } segundos
}
wait-minutes = { $n ->
    [one] un minuto
   *[other] { $n } minutos
}
gone-title = Este enlace de agradecimiento ya no funciona
gone-text = Puede que esa persona tenga un enlace nuevo o que la dirección se haya copiado incompleta. Pídele a ella, o al equipo que te atendió, su enlace actual.
