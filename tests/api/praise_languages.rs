//! The public praise pages in the customer's language, over HTTP: which language a page
//! speaks, the form's errors in it, and the form asking for a value when the message names
//! none. (The browser test loads and sends the form in every language.)

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, expect_status};

async fn page(
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut request = app.client.get(format!("{}{path}", app.base));
    if let Some(languages) = accept_language {
        request = request.header("accept-language", languages);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn a_page_speaks_the_browser_s_language_unless_the_visitor_picked_another() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let handle = app.praise_handle(ann).await;
    let form = format!("/praise/{handle}");

    let (status, headers, body) = page(&app, &form, Some("de-AT, de;q=0.9, en;q=0.5")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html lang=\"de\">"), "{body}");
    assert!(body.contains("Danke sagen an ann Example"));
    assert!(
        body.contains("Bis zu 1.000 Zeichen"),
        "numbers as German writes them"
    );
    assert!(
        body.contains("Erwartungen übertreffen"),
        "value labels are translated"
    );
    assert!(
        body.contains("name=\"lang\" value=\"de\""),
        "the form carries the language on"
    );
    assert_eq!(headers["content-language"], "de");
    assert!(
        headers["vary"]
            .to_str()
            .unwrap()
            .contains("Accept-Language")
    );
    // The picker names every language in itself and links to the page in it.
    for (tag, name) in [
        ("en", "English"),
        ("es", "Español"),
        ("fr", "Français"),
        ("pt", "Português"),
    ] {
        assert!(
            body.contains(&format!(
                "href=\"{form}?lang={tag}\" lang=\"{tag}\" hreflang=\"{tag}\">{name}</a>"
            )),
            "{tag}"
        );
    }
    assert!(body.contains("<span aria-current=\"true\" lang=\"de\">Deutsch</span>"));

    // A choice wins over the browser; a language we do not have is no choice.
    let (_, headers, body) = page(&app, &format!("{form}?lang=fr"), Some("de")).await;
    assert!(body.contains("<html lang=\"fr\">") && body.contains("Dites merci à ann Example"));
    assert_eq!(headers["content-language"], "fr");
    let (_, _, body) = page(&app, &format!("{form}?lang=xx"), Some("pt-BR")).await;
    assert!(body.contains("<html lang=\"pt\">") && body.contains("Agradeça a ann Example"));
    let (_, _, body) = page(&app, &form, Some("ja")).await;
    assert!(body.contains("<html lang=\"en\">") && body.contains("Say thank you to ann Example"));
    let (_, _, body) = page(&app, &form, None).await;
    assert!(body.contains("<html lang=\"en\">"));

    // Links that do not work, and the thank-you page, speak it too. The thank-you page names
    // the next working day, which is always a weekday, whatever today is.
    let (status, _, body) = page(&app, "/praise/no-such-handle", Some("es")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("<html lang=\"es\">") && body.contains("ya no funciona"),
        "{body}"
    );
    let (status, _, body) = page(&app, &format!("{form}/thanks?lang=pt"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Recebemos sua mensagem para ann Example"),
        "{body}"
    );
    assert!(
        ["segunda", "terça", "quarta", "quinta", "sexta"]
            .iter()
            .any(|d| body.contains(d)),
        "{body}"
    );
}

#[tokio::test]
async fn the_form_explains_its_errors_in_the_customer_s_language_and_keeps_what_they_typed() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let handle = app.praise_handle(ann).await;
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let long_name = "N".repeat(150);
    let response = app
        .post_form(
            &format!("/praise/{handle}"),
            &[
                ("lang", "de"),
                ("message", "   "),
                ("customer_name", &long_name),
                ("customer_email", "nicht-gültig"),
                ("email_consent", "yes"),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<html lang=\"de\">"),
        "the form's choice, not the browser's"
    );
    for text in [
        "Bitte prüfen Sie Ihre Nachricht",
        "Ihre Nachricht: Bitte schreiben Sie eine Nachricht.",
        "Bitte kürzen Sie Ihren Namen auf höchstens 100 Zeichen.",
        "name@beispiel.de",
        "Fehler: ",
    ] {
        assert!(body.contains(text), "{text}\n{body}");
    }
    assert!(
        body.contains("value=\"nicht-gültig\""),
        "what they typed is kept"
    );
    assert!(app.customer_praise().await.is_empty());
}

#[tokio::test]
async fn a_message_that_names_no_value_is_sent_back_once_asking_the_customer_to_choose() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let handle = app.praise_handle(ann).await;
    let form = format!("/praise/{handle}");

    // "Merci !" names no value: the form comes back, in French, asking, with the text kept.
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let fields = |extra: &'static [(&'static str, &'static str)]| {
        let mut f = vec![
            ("lang", "fr"),
            ("message", "Merci !"),
            ("value", ""),
            ("challenge", challenge.as_str()),
            ("solution", solution.as_str()),
        ];
        f.extend_from_slice(extra);
        f
    };
    let response = app.post_form(&form, &fields(&[])).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Choisissez celle qui correspond le mieux"),
        "{body}"
    );
    assert!(body.contains("id=\"value-error\"") && body.contains(">Merci !</textarea>"));
    assert!(body.contains("name=\"asked\" value=\"yes\""));
    assert!(app.customer_praise().await.is_empty(), "nothing stored yet");

    // Leaving it to us a second time is a choice: stored with the suggestion, which the
    // moderator sees is unsure. The challenge was not spent by the first round.
    let response = app.post_form(&form, &fields(&[("asked", "yes")])).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("{form}/thanks?lang=fr").as_str()
    );
    let rows = app.customer_praise().await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1, "the value is the service's suggestion");
    let queue = expect_status(
        app.request(
            Method::GET,
            "/api/v1/moderation/shoutouts",
            Some(&app.admin_token()),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let item: &Value = &queue["items"][0];
    assert_eq!(item["value_suggested"], true);
    let confidence = item["suggestion"]["confidence"].as_f64().unwrap();
    assert!(
        confidence < shoutout::domain::suggest::ASK_BELOW,
        "{confidence}"
    );

    // A message that says what it is about is not asked about: the suggestion is taken.
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let response = app
        .post_form(
            &form,
            &[
                ("lang", "es"),
                (
                    "message",
                    "Fue tan paciente y cariñosa con mi madre, que estaba muy nerviosa.",
                ),
                ("value", ""),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let rows = app.customer_praise().await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].0, "responding_with_care");
    assert!(rows[1].1);
}
