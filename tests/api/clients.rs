use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};
use crate::on_both_backends;

on_both_backends!(
    client_records_through_rest,
    clients_of_another_business_are_not_found
);

async fn client_records_through_rest(app: &TestApp) {
    let owner = app.signup("klienci").await;
    let resp = owner
        .post(
            "/clients",
            json!({
                "name": "Bożena Szyfrowana",
                "email": "  Bozena.Szyfr@Example.COM ",
                "phone": "601-222-333",
                "notes": "alergia na lateks",
                "date_of_birth": "1984-03-09",
                "custom_fields": {"karta": "VIP-kod-4711"},
                "marketing_consent": true,
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let bozena: Value = resp.json().await.unwrap();
    assert_eq!(bozena["state"], "active");
    assert_eq!(bozena["email"], "bozena.szyfr@example.com");
    assert_eq!(bozena["phone"], "+48601222333");
    assert_eq!(bozena["custom_fields"]["karta"], "VIP-kod-4711");
    let id = bozena["id"].as_str().unwrap().to_string();

    // Invalid input names the field; nothing is written.
    for (field, value, status) in [
        (
            "email",
            json!("bozena-at-example"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("phone", json!("12"), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "notes",
            json!("x".repeat(5001)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "date_of_birth",
            json!("2999-01-01"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("name", json!(""), StatusCode::UNPROCESSABLE_ENTITY),
        ("shoe_size", json!(42), StatusCode::BAD_REQUEST),
    ] {
        let mut body = json!({"name": "Ktoś Inny"});
        body[field] = value;
        let resp = owner.post("/clients", body).await;
        assert_eq!(resp.status(), status, "{field}");
        assert_eq!(
            fields(&problem(resp).await),
            vec![field.to_string()],
            "{field}"
        );
    }
    // Duplicates are caught however they are written.
    let resp = owner
        .post(
            "/clients",
            json!({"name": "Kopia", "email": "BOZENA.SZYFR@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(fields(&problem(resp).await), vec!["email"]);
    let resp = owner
        .post(
            "/clients",
            json!({"name": "Kopia", "phone": "+48 601 222 333"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(fields(&problem(resp).await), vec!["phone"]);

    // Update: change one field, clear another.
    let resp = owner
        .patch(
            &format!("/clients/{id}"),
            json!({"notes": "alergia na lateks i orzechy", "phone": null}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let updated: Value = resp.json().await.unwrap();
    assert_eq!(updated["notes"], "alergia na lateks i orzechy");
    assert!(updated["phone"].is_null());
    assert_eq!(updated["email"], "bozena.szyfr@example.com");
    let got: Value = owner
        .get(&format!("/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, updated);

    // Search and pages.
    for i in 0..6 {
        let resp = owner.post("/clients", json!({"name": format!("Klient Numer {i}"), "email": format!("numer{i}@example.com")})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    async fn search(owner: &crate::helpers::Session, q: &str) -> Value {
        owner
            .get(&format!("/clients?q={q}"))
            .await
            .json()
            .await
            .unwrap()
    }
    let found = search(&owner, "SZYFROW").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let found = search(&owner, "orzechy").await;
    assert_eq!(found["items"][0]["id"], id.as_str());
    let found = search(&owner, "numer3%40example").await;
    assert_eq!(found["items"][0]["name"], "Klient Numer 3");
    let found = search(&owner, "nikt-taki").await;
    assert!(found["items"].as_array().unwrap().is_empty());

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = owner
            .get(&format!("/clients?limit=3&cursor={cursor}"))
            .await
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are in order without repeats");
    let resp = owner.get("/clients?cursor=bogus").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    problem(resp).await;

    assert_eq!(
        owner.delete(&format!("/clients/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        owner.get(&format!("/clients/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn clients_of_another_business_are_not_found(app: &TestApp) {
    let a = app.signup("klienci-a").await;
    let b = app.signup("klienci-b").await;
    let theirs: Value = b
        .post(
            "/clients",
            json!({"name": "Cudzy Klient", "email": "cudzy@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = theirs["id"].as_str().unwrap();
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "Przejęty"}))),
        (Method::DELETE, None),
    ] {
        let resp = a
            .send(method.clone(), &format!("/clients/{id}"), body)
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method}");
        problem(resp).await;
    }
    let list: Value = a.get("/clients").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    // The same e-mail is free in another business.
    let resp = a
        .post(
            "/clients",
            json!({"name": "Nasz Klient", "email": "cudzy@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let still: Value = b.get(&format!("/clients/{id}")).await.json().await.unwrap();
    assert_eq!(still["name"], "Cudzy Klient");
}
