# As páginas públicas de agradecimento, em português (do Brasil).

## About the language itself
language-name = Português
locale-date = pt_BR
locale-number = pt
date-format = %A, %-d de %B
language-nav = Idioma

## The form
form-title = Agradeça a { $name }
form-lead = Conte a { $name } o que foi bem feito. Leva um minuto e você não precisa de conta.
summary-title = Confira sua mensagem, por favor
summary-expired = Este formulário expirou. Nós o atualizamos: clique em Enviar de novo.
error-prefix = Erro: { $message }
message-label = Sua mensagem (obrigatório)
message-hint = O que { $name } fez que você quer agradecer? Até { $max } caracteres.
value-legend = O que a pessoa demonstrou? (opcional)
value-hint = Escolha o que combina melhor, ou deixe com a gente.
value-none = Não tenho certeza: escolham vocês
value-helping_others = Ajudar os outros
value-helping_others-hint = Fez de tudo para ajudar um colega ou um cliente.
value-exceeding_expectations = Superar expectativas
value-exceeding_expectations-hint = Fez mais, ou melhor, do que alguém pediu.
value-achieving_goals = Alcançar metas
value-achieving_goals-hint = Entregou um resultado importante, no prazo.
value-responding_with_care = Atender com cuidado
value-responding_with_care-hint = Ouviu, entendeu e respondeu com gentileza.
value-thriving_through_teamwork = Crescer em equipe
value-thriving_through_teamwork-hint = Fortaleceu a equipe trabalhando junto.
name-label = Seu nome (opcional)
name-hint = Aparece com sua mensagem, se você informar.
email-label = Seu e-mail (opcional)
email-hint = Só nossos moderadores o veem, caso precisem perguntar algo. Nunca o publicamos e o apagamos se você pedir.
consent-label = Enviem-me um único e-mail quando meu agradecimento chegar a { $name } (nada mais, nunca)
private-label = Manter meu agradecimento privado: só { $name } e seus gestores o veem, nunca o mural público
honeypot-label = Deixe este campo vazio
press-send-again = Clique em Enviar de novo, por favor.
needs-js = Este formulário precisa de JavaScript: ele faz uma verificação rápida no seu navegador que mantém os robôs de fora.
send = Enviar meu agradecimento
sending = Enviando sua mensagem…
privacy-note = Um moderador lê sua mensagem antes que os colegas de { $name } a vejam.

## What each field is called in the list of problems
field-message = Sua mensagem
field-value = O que a pessoa demonstrou
field-customer_name = Seu nome
field-customer_email = Seu e-mail
field-email_consent = Enviem-me um único e-mail

## Problems with what was typed
error-message-empty = Escreva uma mensagem, por favor.
error-message-too-long = Encurte sua mensagem para no máximo { $max } caracteres, por favor.
error-message-invalid = Sua mensagem tem caracteres que não podemos aceitar. Remova-os, por favor.
error-name-too-long = Encurte seu nome para no máximo { $max } caracteres, por favor.
error-name-invalid = Seu nome tem caracteres que não podemos aceitar.
error-email-invalid = Informe um endereço como nome@exemplo.com.br, ou deixe o campo vazio.
error-consent-needs-email = Informe seu e-mail para podermos escrever para você, ou desmarque esta opção.
error-value-invalid = Escolha um dos valores, ou “Não tenho certeza”.
error-value-unsure = Não conseguimos identificar pela sua mensagem qual destes ela mostra. Escolha o que combina melhor, ou escolha “Não tenho certeza” de novo e um moderador decidirá.

## After sending
thanks-title = Obrigado!
thanks-received = Recebemos sua mensagem para { $name }.
thanks-received-anonymous = Recebemos sua mensagem.
thanks-moderation = Um moderador lê cada mensagem antes de compartilhá-la com a equipe, normalmente até { $date }.
thanks-closing = Palavras gentis como as suas são o que faz o trabalho valer a pena.

## Pages for when something is in the way
unavailable-title = Não conseguimos receber sua mensagem agora
unavailable-text = Algo está fora do ar por um instante do nosso lado. Volte e envie de novo daqui a um minuto.
failed-title = Algo deu errado
failed-text = Não conseguimos mostrar esta página. Volte e tente de novo daqui a um minuto.
too-long-title = Essa mensagem é longa demais
too-long-text = Volte, encurte sua mensagem e envie de novo.
wait-title = Aguarde um momento, por favor
wait-text = Acabamos de receber muitas mensagens daqui. Tente de novo em { $wait }.
wait-seconds = { $n ->
    [one] um segundo
   *[other] { $n } segundos
}
wait-minutes = { $n ->
    [one] um minuto
   *[other] { $n } minutos
}
gone-title = Este link de agradecimento não funciona mais
gone-text = A pessoa pode ter um link novo, ou o endereço foi copiado pela metade. Peça a ela, ou à equipe que atendeu você, o link atual.
