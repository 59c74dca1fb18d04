# The public praise pages in English. Every catalogue in this folder has the same messages;
# a new language is a copy of this file with its texts translated (the suite checks it).

## About the language itself
language-name = English
# How chrono names days and months (a glibc locale name), and how numbers are grouped.
locale-date = en_GB
locale-number = en
# A day inside a sentence (chrono's strftime codes).
date-format = %A %-d %B
language-nav = Language

## The form
form-title = Say thank you to { $name }
form-lead = Tell { $name } what they did well. It takes a minute, and you do not need an account.
summary-title = Please check your message
summary-expired = This form has expired. We have refreshed it: please press Send again.
error-prefix = Error: { $message }
message-label = Your message (required)
message-hint = What did { $name } do that you want to thank them for? Up to { $max } characters.
value-legend = What did they show? (optional)
value-hint = Pick the one that fits best, or leave it to us.
value-none = Not sure: let us choose
value-helping_others = Helping others
value-helping_others-hint = Went out of their way to help a colleague or a customer.
value-exceeding_expectations = Exceeding expectations
value-exceeding_expectations-hint = Did more, or did it better, than anyone asked.
value-achieving_goals = Achieving goals
value-achieving_goals-hint = Delivered a result that mattered, on time.
value-responding_with_care = Responding with care
value-responding_with_care-hint = Listened, understood and answered with kindness.
value-thriving_through_teamwork = Thriving through teamwork
value-thriving_through_teamwork-hint = Made the team stronger by working together.
name-label = Your name (optional)
name-hint = Shown with your message, if you give it.
email-label = Your e-mail (optional)
email-hint = Only our moderators see it, in case they need to ask you something. We never publish it, and will delete it if you ask.
consent-label = Send me one e-mail when my thanks reaches { $name } (nothing else, ever)
private-label = Keep my thanks private: only { $name } and their managers see it, never the public wall
honeypot-label = Leave this field empty
press-send-again = Please press Send again.
needs-js = This form needs JavaScript switched on: it runs a short check in your browser that keeps robots out.
send = Send my thanks
sending = Sending your message…
privacy-note = Your message is read by a moderator before { $name }'s colleagues see it.

## What each field is called in the list of problems
field-message = Your message
field-value = What they showed
field-customer_name = Your name
field-customer_email = Your e-mail
field-email_consent = Send me one e-mail

## Problems with what was typed
error-message-empty = Please write a message.
error-message-too-long = Please shorten your message to { $max } characters or fewer.
error-message-invalid = Your message contains characters we cannot accept. Please remove them.
error-name-too-long = Please shorten your name to { $max } characters or fewer.
error-name-invalid = Your name contains characters we cannot accept.
error-email-invalid = Please enter an e-mail address like name@example.com, or leave it empty.
error-consent-needs-email = Please give your e-mail address so that we can write to you, or untick this box.
error-value-invalid = Please choose one of the values, or “Not sure”.
error-value-unsure = We could not tell from your message which of these it shows. Please pick the one that fits best, or choose “Not sure” again and a moderator will decide.

## After sending
thanks-title = Thank you!
thanks-received = Your message for { $name } has been received.
thanks-received-anonymous = Your message has been received.
thanks-moderation = A moderator reads every message before it is shared with the team, usually by { $date }.
thanks-closing = Kind words like yours are what make people's work worth doing.

## Pages for when something is in the way
unavailable-title = We could not take your message just now
unavailable-text = Something is briefly out of order on our side. Please go back and send it again in a minute.
failed-title = Something went wrong
failed-text = We could not show this page. Please go back and try again in a minute.
too-long-title = That message is too long
too-long-text = Please go back and shorten your message, then send it again.
wait-title = Please wait a moment
wait-text = We have received a lot of messages from here just now. Please try again in { $wait }.
wait-seconds = { $n ->
    [one] a second
   *[other] { $n } seconds
}
wait-minutes = { $n ->
    [one] a minute
   *[other] { $n } minutes
}
gone-title = This thank-you link does not work any more
gone-text = The person may have a new link, or the address may have been copied incompletely. Please ask them, or the team you dealt with, for their current link.
