use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, link_token, owner_email, problem};
use crate::on_both_backends;

on_both_backends!(
    invite_a_new_person,
    roles_limit_what_people_do,
    existing_account_joins_second_business
);

async fn invite_a_new_person(app: &TestApp) {
    let owner = app.signup("zespol").await;
    let resp = owner
        .post(
            "/invitations",
            json!({"email": "Ewa.Nowak@Example.com", "role": "staff"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let inv: Value = resp.json().await.unwrap();
    assert_eq!(inv["email"], "ewa.nowak@example.com");
    let list: Value = owner.get("/invitations").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let mail = app.mail_to("ewa.nowak@example.com").await;
    assert!(mail.contains("Salon zespol"));
    let token = link_token(&mail, "/invite/");
    let preview: Value = app
        .client()
        .get(app.api(&format!("/auth/invitations/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview["role"], "staff");
    assert_eq!(preview["has_account"], false);

    // A new person needs a name.
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "password": "Ewa-Ma-Kota-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .browser()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "name": "Ewa Nowak", "password": "Ewa-Ma-Kota-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let ewa = app.login("ewa.nowak@example.com", "Ewa-Ma-Kota-2026").await;
    let me: Value = ewa.get("/me").await.json().await.unwrap();
    assert_eq!(me["role"], "staff");
    assert_eq!(me["business"]["slug"], "zespol");
    // The link is used up.
    let resp = app
        .client()
        .get(app.api(&format!("/auth/invitations/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let users: Value = owner.get("/users").await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
}

pub(crate) async fn join(
    app: &TestApp,
    owner: &crate::helpers::Session,
    email: &str,
    role: &str,
) -> crate::helpers::Session {
    let resp = owner
        .post("/invitations", json!({"email": email, "role": role}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let token = link_token(&app.mail_to(email).await, "/invite/");
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "name": "Team Member", "password": "Czerwony-Parasol-81"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    app.login(email, "Czerwony-Parasol-81").await
}

async fn roles_limit_what_people_do(app: &TestApp) {
    let owner = app.signup("role-check").await;
    let admin = join(app, &owner, "admin@role-check.example.com", "admin").await;
    let staff = join(app, &owner, "staff@role-check.example.com", "staff").await;

    // Staff: may look at the business, not change it or see the team.
    assert_eq!(staff.get("/business").await.status(), StatusCode::OK);
    let resp = staff.patch("/business", json!({"name": "Mine now"})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    problem(resp).await;
    assert_eq!(staff.get("/users").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        staff
            .post(
                "/invitations",
                json!({"email": "x@example.com", "role": "owner"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        staff.post("/api-keys", json!({"name": "k"})).await.status(),
        StatusCode::FORBIDDEN
    );

    // Admin: settings yes, people and keys no.
    assert_eq!(
        admin
            .patch("/business", json!({"time_zone": "Europe/London"}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(admin.get("/users").await.status(), StatusCode::OK);
    assert_eq!(
        admin
            .post(
                "/invitations",
                json!({"email": "y@example.com", "role": "staff"})
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Admins manage API keys too.
    assert_eq!(
        admin.post("/api-keys", json!({"name": "k"})).await.status(),
        StatusCode::CREATED
    );

    // Owner: promotes staff; cannot remove the last owner.
    let users: Value = owner.get("/users").await.json().await.unwrap();
    let find = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let staff_id = find("staff@role-check.example.com");
    let owner_id = find(&owner_email("role-check"));
    let resp = owner
        .patch(&format!("/users/{staff_id}"), json!({"role": "admin"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = staff.get("/me").await.json().await.unwrap();
    assert_eq!(
        me["role"], "admin",
        "a role change applies to the running session"
    );
    let resp = owner
        .patch(&format!("/users/{owner_id}"), json!({"role": "staff"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = owner
        .patch(&format!("/users/{staff_id}"), json!({"role": "boss"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Removing a member ends their access.
    assert_eq!(
        owner.delete(&format!("/users/{staff_id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(staff.get("/me").await.status(), StatusCode::UNAUTHORIZED);
}

async fn existing_account_joins_second_business(app: &TestApp) {
    let first = app.signup("pierwsza").await;
    let second = app.signup("druga").await;
    let _ = first;
    let email = owner_email("pierwsza");
    let resp = second
        .post("/invitations", json!({"email": email, "role": "admin"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let token = link_token(&app.mail_to(&email).await, "/invite/");
    let preview: Value = app
        .client()
        .get(app.api(&format!("/auth/invitations/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview["has_account"], true);
    // The existing password proves the account.
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "password": "Not-The-Password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["business"], "druga");
    // Log-in picks a business by slug.
    let client = app.browser();
    let resp = client
        .post(app.api("/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD, "business": "druga"}))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["business"], "druga");
}
