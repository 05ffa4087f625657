//! The admin pages' services: one per page, and the rules an administrator is bound by.

use keyward_core::{Permissions, Role};

use super::*;
use crate::resources::GrantTo;

on_both_databases!(
    each_admin_page_service_lists_what_its_page_shows,
    an_admin_cannot_demote_or_deactivate_themselves,
);

async fn each_admin_page_service_lists_what_its_page_shows(b: &Backend) {
    b.create_user(input("alice"), t0()).await.unwrap();
    b.create_org("Acme", t0()).await.unwrap();
    b.create_team("red", Some("Acme"), t0()).await.unwrap();
    b.add_to_team("red", "alice").await.unwrap();
    let falcon = b
        .create_project("falcon", Some("Acme"), t0())
        .await
        .unwrap();
    let osprey = b.create_project("osprey", None, t0()).await.unwrap();
    b.grant(falcon, &GrantTo::Team("red".into()), Permissions::ALL, t0())
        .await
        .unwrap();
    b.grant(
        falcon,
        &GrantTo::User("alice".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    let ops = b.create_oplog(osprey, "ops", t0()).await.unwrap();

    assert_eq!(b.all_users().await.unwrap().len(), 1);
    let orgs = b.organizations().await.unwrap();
    assert_eq!(
        orgs.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
        ["Acme"]
    );
    assert_eq!(b.teams().await.unwrap()[0].members, ["alice"]);
    let projects = b.projects_overview().await.unwrap();
    let [f, p] = &projects[..] else {
        panic!("two projects: {projects:?}");
    };
    assert_eq!(
        (f.project.id, f.project.org.as_deref()),
        (falcon, Some("Acme"))
    );
    // Users' grants first, then teams'.
    let grants: Vec<_> = f
        .grants
        .iter()
        .map(|g| (g.to_team, g.name.as_str(), g.permissions))
        .collect();
    assert_eq!(
        grants,
        [
            (false, "alice", Permissions::READ),
            (true, "red", Permissions::ALL)
        ]
    );
    assert!(f.oplogs.is_empty());
    assert_eq!((p.project.id, p.grants.len()), (osprey, 0));
    assert_eq!(p.oplogs.iter().map(|l| l.id).collect::<Vec<_>>(), [ops]);

    // The operation-log page gets the projects and the logs, nothing else.
    let (all, logs) = b.oplogs_overview().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.id).collect::<Vec<_>>(),
        [falcon, osprey]
    );
    assert_eq!(
        logs.iter()
            .map(|l| (l.id, l.project_id))
            .collect::<Vec<_>>(),
        [(ops, osprey)]
    );
    assert!(b.suspended_service_tokens().await.unwrap().is_empty());
}

async fn an_admin_cannot_demote_or_deactivate_themselves(b: &Backend) {
    let mut root = input("root");
    root.role = Role::Admin;
    let id = b.create_user(root, t0()).await.unwrap();
    b.create_user(input("alice"), t0()).await.unwrap();
    let admin = b.user_by_id(id).await.unwrap().unwrap();

    let e = b
        .admin_set_role(&admin, "root", Role::Manager, t0())
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "You cannot take the admin role from yourself."
    );
    let e = b
        .admin_set_active(&admin, "root", false, t0())
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "You cannot deactivate yourself.");
    assert_eq!(
        b.find_user("root").await.unwrap().unwrap().role,
        Role::Admin
    );

    b.admin_set_role(&admin, "root", Role::Admin, t0())
        .await
        .unwrap();
    b.admin_set_role(&admin, "alice", Role::Manager, t0())
        .await
        .unwrap();
    b.admin_set_active(&admin, "alice", false, t0())
        .await
        .unwrap();
    let alice = b.find_user("alice").await.unwrap().unwrap();
    assert_eq!((alice.role, alice.active), (Role::Manager, false));
}
