# Die öffentlichen Dankesseiten auf Deutsch.

## About the language itself
language-name = Deutsch
locale-date = de_DE
locale-number = de
date-format = %A, %-d. %B
language-nav = Sprache

## The form
form-title = Danke sagen an { $name }
form-lead = Sagen Sie { $name }, was gut war. Das dauert eine Minute, ein Konto brauchen Sie nicht.
summary-title = Bitte prüfen Sie Ihre Nachricht
summary-expired = Dieses Formular war abgelaufen. Wir haben es erneuert: Bitte drücken Sie noch einmal auf Senden.
error-prefix = Fehler: { $message }
message-label = Ihre Nachricht (Pflichtfeld)
message-hint = Wofür möchten Sie { $name } danken? Bis zu { $max } Zeichen.
value-legend = Was hat die Person gezeigt? (optional)
value-hint = Wählen Sie, was am besten passt, oder überlassen Sie es uns.
value-none = Nicht sicher: Sie entscheiden
value-helping_others = Anderen helfen
value-helping_others-hint = Hat sich besonders bemüht, Kollegen oder Kunden zu helfen.
value-exceeding_expectations = Erwartungen übertreffen
value-exceeding_expectations-hint = Hat mehr oder Besseres geleistet, als verlangt war.
value-achieving_goals = Ziele erreichen
value-achieving_goals-hint = Hat ein wichtiges Ergebnis pünktlich geliefert.
value-responding_with_care = Mit Sorgfalt reagieren
value-responding_with_care-hint = Hat zugehört, verstanden und freundlich geantwortet.
value-thriving_through_teamwork = Gemeinsam stark im Team
value-thriving_through_teamwork-hint = Hat das Team durch Zusammenarbeit gestärkt.
name-label = Ihr Name (optional)
name-hint = Wird mit Ihrer Nachricht gezeigt, wenn Sie ihn angeben.
email-label = Ihre E-Mail-Adresse (optional)
email-hint = Nur unsere Moderatoren sehen sie, falls sie Rückfragen haben. Wir veröffentlichen sie nie und löschen sie auf Wunsch.
consent-label = Schicken Sie mir eine einzige E-Mail, wenn mein Dank { $name } erreicht (sonst nichts, niemals)
private-label = Meinen Dank privat halten: Nur { $name } und die Vorgesetzten sehen ihn, nie die öffentliche Pinnwand
honeypot-label = Dieses Feld bitte leer lassen
press-send-again = Bitte drücken Sie noch einmal auf Senden.
needs-js = Dieses Formular braucht JavaScript: Es führt in Ihrem Browser eine kurze Prüfung aus, die Roboter fernhält.
send = Meinen Dank senden
sending = Ihre Nachricht wird gesendet…
privacy-note = Ein Moderator liest Ihre Nachricht, bevor die Kollegen von { $name } sie sehen.

## What each field is called in the list of problems
field-message = Ihre Nachricht
field-value = Was gezeigt wurde
field-customer_name = Ihr Name
field-customer_email = Ihre E-Mail-Adresse
field-email_consent = Eine E-Mail schicken

## Problems with what was typed
error-message-empty = Bitte schreiben Sie eine Nachricht.
error-message-too-long = Bitte kürzen Sie Ihre Nachricht auf höchstens { $max } Zeichen.
error-message-invalid = Ihre Nachricht enthält Zeichen, die wir nicht annehmen können. Bitte entfernen Sie sie.
error-name-too-long = Bitte kürzen Sie Ihren Namen auf höchstens { $max } Zeichen.
error-name-invalid = Ihr Name enthält Zeichen, die wir nicht annehmen können.
error-email-invalid = Bitte geben Sie eine Adresse wie name@beispiel.de ein oder lassen Sie das Feld leer.
error-consent-needs-email = Bitte geben Sie Ihre E-Mail-Adresse an, damit wir Ihnen schreiben können, oder entfernen Sie das Häkchen.
error-value-invalid = Bitte wählen Sie einen der Werte oder „Nicht sicher“.
error-value-unsure = Aus Ihrer Nachricht konnten wir nicht erkennen, welcher dieser Werte gemeint ist. Bitte wählen Sie den passendsten oder noch einmal „Nicht sicher“, dann entscheidet ein Moderator.

## After sending
thanks-title = Vielen Dank!
thanks-received = Ihre Nachricht für { $name } ist angekommen.
thanks-received-anonymous = Ihre Nachricht ist angekommen.
thanks-moderation = Ein Moderator liest jede Nachricht, bevor sie mit dem Team geteilt wird, meist bis { $date }.
thanks-closing = Freundliche Worte wie Ihre machen die Arbeit wertvoll.

## Pages for when something is in the way
unavailable-title = Wir konnten Ihre Nachricht gerade nicht annehmen
unavailable-text = Bei uns klemmt gerade kurz etwas. Bitte gehen Sie zurück und senden Sie sie in einer Minute noch einmal.
failed-title = Etwas ist schiefgegangen
failed-text = Wir konnten diese Seite nicht anzeigen. Bitte gehen Sie zurück und versuchen Sie es in einer Minute noch einmal.
too-long-title = Diese Nachricht ist zu lang
too-long-text = Bitte gehen Sie zurück, kürzen Sie Ihre Nachricht und senden Sie sie noch einmal.
wait-title = Bitte einen Moment Geduld
wait-text = Von hier sind gerade sehr viele Nachrichten eingegangen. Bitte versuchen Sie es in { $wait } noch einmal.
wait-seconds = { $n ->
    [one] einer Sekunde
   *[other] { $n } Sekunden
}
wait-minutes = { $n ->
    [one] einer Minute
   *[other] { $n } Minuten
}
gone-title = Dieser Dankeslink funktioniert nicht mehr
gone-text = Die Person hat vielleicht einen neuen Link, oder die Adresse wurde unvollständig kopiert. Bitte fragen Sie sie oder das Team, mit dem Sie zu tun hatten, nach dem aktuellen Link.
