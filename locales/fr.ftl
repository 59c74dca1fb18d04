# Les pages publiques de remerciement, en français.

## About the language itself
language-name = Français
locale-date = fr_FR
locale-number = fr
date-format = %A %-d %B
language-nav = Langue

## The form
form-title = Dites merci à { $name }
form-lead = Dites à { $name } ce qui vous a plu. Cela prend une minute, sans créer de compte.
summary-title = Merci de vérifier votre message
summary-expired = Ce formulaire a expiré. Nous l’avons actualisé : appuyez de nouveau sur Envoyer.
error-prefix = Erreur : { $message }
message-label = Votre message (obligatoire)
message-hint = Pour quoi voulez-vous remercier { $name } ? Jusqu’à { $max } caractères.
value-legend = Qu’a-t-il ou qu’a-t-elle montré ? (facultatif)
value-hint = Choisissez ce qui correspond le mieux, ou laissez-nous choisir.
value-none = Je ne sais pas : choisissez pour moi
value-helping_others = Aider les autres
value-helping_others-hint = S’est démené pour aider un collègue ou un client.
value-exceeding_expectations = Dépasser les attentes
value-exceeding_expectations-hint = A fait plus, ou mieux, que ce qu’on demandait.
value-achieving_goals = Atteindre les objectifs
value-achieving_goals-hint = A obtenu un résultat qui comptait, dans les temps.
value-responding_with_care = Répondre avec bienveillance
value-responding_with_care-hint = A écouté, compris et répondu avec gentillesse.
value-thriving_through_teamwork = Réussir en équipe
value-thriving_through_teamwork-hint = A rendu l’équipe plus forte en travaillant ensemble.
name-label = Votre nom (facultatif)
name-hint = Affiché avec votre message, si vous l’indiquez.
email-label = Votre adresse e-mail (facultatif)
email-hint = Seuls nos modérateurs la voient, au cas où ils auraient une question. Nous ne la publions jamais et l’effaçons sur simple demande.
consent-label = M’envoyer un seul e-mail quand mon merci parvient à { $name } (rien d’autre, jamais)
private-label = Garder mon merci privé : seuls { $name } et ses responsables le voient, jamais le mur public
honeypot-label = Laissez ce champ vide
press-send-again = Appuyez de nouveau sur Envoyer.
needs-js = Ce formulaire a besoin de JavaScript : il fait une courte vérification dans votre navigateur pour écarter les robots.
send = Envoyer mon merci
sending = Envoi de votre message…
privacy-note = Un modérateur lit votre message avant que les collègues de { $name } le voient.

## What each field is called in the list of problems
field-message = Votre message
field-value = Ce qu’il ou elle a montré
field-customer_name = Votre nom
field-customer_email = Votre adresse e-mail
field-email_consent = M’envoyer un seul e-mail

## Problems with what was typed
error-message-empty = Merci d’écrire un message.
error-message-too-long = Merci de raccourcir votre message à { $max } caractères au plus.
error-message-invalid = Votre message contient des caractères que nous ne pouvons pas accepter. Merci de les retirer.
error-name-too-long = Merci de raccourcir votre nom à { $max } caractères au plus.
error-name-invalid = Votre nom contient des caractères que nous ne pouvons pas accepter.
error-email-invalid = Indiquez une adresse du type nom@exemple.fr, ou laissez le champ vide.
error-consent-needs-email = Indiquez votre adresse e-mail pour que nous puissions vous écrire, ou décochez cette case.
error-value-invalid = Choisissez l’une des valeurs, ou « Je ne sais pas ».
error-value-unsure = Votre message ne nous dit pas clairement laquelle de ces valeurs il illustre. Choisissez celle qui correspond le mieux, ou de nouveau « Je ne sais pas » et un modérateur décidera.

## After sending
thanks-title = Merci !
thanks-received = Votre message pour { $name } a bien été reçu.
thanks-received-anonymous = Votre message a bien été reçu.
thanks-moderation = Un modérateur lit chaque message avant qu’il soit partagé avec l’équipe, en général d’ici le { $date }.
thanks-closing = Ce sont des mots comme les vôtres qui donnent du sens au travail.

## Pages for when something is in the way
unavailable-title = Nous n’avons pas pu recevoir votre message pour le moment
unavailable-text = Quelque chose est momentanément en panne chez nous. Revenez en arrière et renvoyez-le dans une minute.
failed-title = Un problème est survenu
failed-text = Nous n’avons pas pu afficher cette page. Revenez en arrière et réessayez dans une minute.
too-long-title = Ce message est trop long
too-long-text = Revenez en arrière, raccourcissez votre message, puis renvoyez-le.
wait-title = Un instant, s’il vous plaît
wait-text = Nous venons de recevoir beaucoup de messages depuis cet endroit. Réessayez dans { $wait }.
wait-seconds = { $n ->
    [one] une seconde
   *[other] { $n } secondes
}
wait-minutes = { $n ->
    [one] une minute
   *[other] { $n } minutes
}
gone-title = Ce lien de remerciement ne fonctionne plus
gone-text = La personne a peut-être un nouveau lien, ou l’adresse a été copiée en partie. Demandez-lui, ou à l’équipe qui vous a aidé, son lien actuel.
