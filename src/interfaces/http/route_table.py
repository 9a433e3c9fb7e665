"""The API's rules by route module, as registering each module's blueprint makes them:
the app registers these and imports a module with its first request
(docs/decisions/0440-route-modules-on-first-use.md). Written by scripts/route_table.py;
tests/unit/test_route_table.py checks it against the modules.
"""

from interfaces.shared.lazy_views import TableRow

ROUTES: tuple[TableRow, ...] = (
    (
        "interfaces.http.routes.health",
        (
            ("healthz", "/healthz", "health.healthz", ("GET",), {}),
            ("readyz", "/readyz", "health.readyz", ("GET",), {}),
        ),
    ),
    (
        "interfaces.http.routes.accounts.accounts",
        (
            ("register", "/register", "accounts.register", ("POST",), {}),
            ("login", "/login", "accounts.login", ("POST",), {}),
            ("get_me", "/user", "accounts.get_me", ("GET",), {}),
            ("replace_me", "/user", "accounts.replace_me", ("PUT",), {}),
            ("patch_me", "/user", "accounts.patch_me", ("PATCH",), {}),
            ("delete_me", "/user", "accounts.delete_me", ("DELETE",), {}),
            ("change_password", "/user/password", "accounts.change_password", ("PUT",), {}),
        ),
    ),
    (
        "interfaces.http.routes.mail.email",
        (
            (
                "request_verification",
                "/auth/email/verification",
                "email.request_verification",
                ("POST",),
                {},
            ),
            ("verify_email", "/auth/email/verify", "email.verify_email", ("POST",), {}),
            ("forgot_password", "/auth/password/forgot", "email.forgot_password", ("POST",), {}),
            ("reset_password", "/auth/password/reset", "email.reset_password", ("POST",), {}),
            ("invite", "/users/invitations", "email.invite", ("POST",), {}),
        ),
    ),
    (
        "interfaces.http.routes.federation.firebase",
        (
            ("exchange", "/auth/firebase", "firebase.exchange", ("POST",), {}),
            ("custom_token", "/auth/firebase/custom-token", "firebase.custom_token", ("POST",), {}),
        ),
    ),
    (
        "interfaces.http.routes.federation.connected_accounts",
        (
            (
                "list_identities",
                "/auth/identities",
                "connected_accounts.list_identities",
                ("GET",),
                {},
            ),
            (
                "disconnect",
                "/auth/identities/<provider>",
                "connected_accounts.disconnect",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.federation.upstream",
        (
            (
                "native_token",
                "/auth/identities/<provider>/token",
                "upstream_api.native_token",
                ("POST",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.signin.sessions",
        (
            ("refresh", "/auth/refresh", "sessions.refresh", ("POST",), {}),
            ("renew", "/auth/renew", "sessions.renew", ("POST",), {}),
            ("logout", "/auth/logout", "sessions.logout", ("POST",), {}),
            ("whoami", "/auth/whoami", "sessions.whoami", ("GET",), {}),
            ("list_sessions", "/auth/sessions", "sessions.list_sessions", ("GET",), {}),
            ("end_session", "/auth/sessions/<session_id>", "sessions.end_session", ("DELETE",), {}),
        ),
    ),
    (
        "interfaces.http.routes.orgs.active",
        (("switch_org", "/auth/org", "active_org.switch_org", ("POST",), {}),),
    ),
    (
        "interfaces.http.routes.signin.personal_tokens",
        (
            ("create_token", "/auth/tokens", "personal_tokens.create_token", ("POST",), {}),
            ("list_tokens", "/auth/tokens", "personal_tokens.list_tokens", ("GET",), {}),
            (
                "revoke_token",
                "/auth/tokens/<token_id>",
                "personal_tokens.revoke_token",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.signin.passkeys",
        (
            (
                "registration_options",
                "/auth/passkeys/registration/options",
                "passkeys.registration_options",
                ("POST",),
                {},
            ),
            ("register", "/auth/passkeys/registration", "passkeys.register", ("POST",), {}),
            ("list_passkeys", "/auth/passkeys", "passkeys.list_passkeys", ("GET",), {}),
            (
                "delete_passkey",
                "/auth/passkeys/<passkey_id:passkey_id>",
                "passkeys.delete_passkey",
                ("DELETE",),
                {},
            ),
            (
                "authentication_options",
                "/auth/passkeys/authentication/options",
                "passkeys.authentication_options",
                ("POST",),
                {},
            ),
            (
                "authenticate",
                "/auth/passkeys/authentication",
                "passkeys.authenticate",
                ("POST",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.signin.mfa",
        (
            ("start_totp", "/auth/mfa/totp", "mfa.start_totp", ("POST",), {}),
            ("confirm_totp", "/auth/mfa/totp/confirm", "mfa.confirm_totp", ("POST",), {}),
            ("disable_totp", "/auth/mfa/totp", "mfa.disable_totp", ("DELETE",), {}),
            (
                "new_recovery_codes",
                "/auth/mfa/recovery-codes",
                "mfa.new_recovery_codes",
                ("POST",),
                {},
            ),
            ("finish_login", "/login/mfa", "mfa.finish_login", ("POST",), {}),
        ),
    ),
    (
        "interfaces.http.routes.accounts.users",
        (
            ("list_users", "/users", "users.list_users", ("GET",), {}),
            ("get_user", "/users/<user_id:user_id>", "users.get_user", ("GET",), {}),
            ("change_user", "/users/<user_id:user_id>", "users.change_user", ("PATCH",), {}),
            ("delete_user", "/users/<user_id:user_id>", "users.delete_user", ("DELETE",), {}),
        ),
    ),
    (
        "interfaces.http.routes.events.events",
        (
            ("own_events", "/auth/events", "events.own_events", ("GET",), {}),
            ("user_events", "/users/<user_id>/events", "events.user_events", ("GET",), {}),
        ),
    ),
    (
        "interfaces.http.routes.resources.datasets",
        (
            ("upload_dataset", "/datasets", "datasets.upload_dataset", ("POST",), {}),
            ("list_datasets", "/datasets", "datasets.list_datasets", ("GET",), {}),
            ("get_dataset", "/datasets/<dataset_id>", "datasets.get_dataset", ("GET",), {}),
            ("get_rows", "/datasets/<dataset_id>/rows", "datasets.get_rows", ("GET",), {}),
            (
                "export_dataset",
                "/datasets/<dataset_id>/export",
                "datasets.export_dataset",
                ("GET",),
                {},
            ),
            (
                "delete_dataset",
                "/datasets/<dataset_id>",
                "datasets.delete_dataset",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.resources.files",
        (
            ("upload_file", "/files", "files.upload_file", ("POST",), {}),
            ("download_file", "/files/<file_id>", "files.download_file", ("GET",), {}),
            ("delete_file", "/files/<file_id>", "files.delete_file", ("DELETE",), {}),
        ),
    ),
    (
        "interfaces.http.routes.resources.tasks",
        (
            ("create_task", "/tasks", "tasks.create_task", ("POST",), {}),
            ("list_tasks", "/tasks", "tasks.list_tasks", ("GET",), {}),
            ("get_task", "/tasks/<task_id>", "tasks.get_task", ("GET",), {}),
            ("replace_task", "/tasks/<task_id>", "tasks.replace_task", ("PUT",), {}),
            ("patch_task", "/tasks/<task_id>", "tasks.patch_task", ("PATCH",), {}),
            ("delete_task", "/tasks/<task_id>", "tasks.delete_task", ("DELETE",), {}),
        ),
    ),
    (
        "interfaces.http.routes.resources.dogs",
        (
            ("list_dogs", "/dogs", "dogs.list_dogs", ("GET",), {}),
            ("list_adopted_dogs", "/dogs/is_adopted", "dogs.list_adopted_dogs", ("GET",), {}),
            ("get_dog", "/dogs/<dog_name:name>", "dogs.get_dog", ("GET",), {}),
            ("create_dog", "/dogs/<dog_name:name>", "dogs.create_dog", ("POST",), {}),
            ("update_dog", "/dogs/<dog_name:name>", "dogs.update_dog", ("PUT",), {}),
            ("delete_dog", "/dogs/<dog_name:name>", "dogs.delete_dog", ("DELETE",), {}),
        ),
    ),
    (
        "interfaces.http.routes.jobs",
        (
            ("receive_job", "/internal/jobs", "jobs.receive_job", ("POST",), {}),
            (
                "receive_dead_letter",
                "/internal/jobs/dead-letter",
                "jobs.receive_dead_letter",
                ("POST",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.events.webhooks",
        (
            ("create_webhook", "/admin/webhooks", "webhooks.create_webhook", ("POST",), {}),
            ("list_webhooks", "/admin/webhooks", "webhooks.list_webhooks", ("GET",), {}),
            ("get_webhook", "/admin/webhooks/<webhook_id>", "webhooks.get_webhook", ("GET",), {}),
            (
                "delete_webhook",
                "/admin/webhooks/<webhook_id>",
                "webhooks.delete_webhook",
                ("DELETE",),
                {},
            ),
            (
                "list_deliveries",
                "/admin/webhooks/<webhook_id>/deliveries",
                "webhooks.list_deliveries",
                ("GET",),
                {},
            ),
            (
                "resend_delivery",
                "/admin/webhooks/<webhook_id>/deliveries/<delivery_id>/resend",
                "webhooks.resend_delivery",
                ("POST",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.orgs.orgs",
        (
            ("create_org", "/orgs", "orgs.create_org", ("POST",), {}),
            ("my_orgs", "/orgs", "orgs.my_orgs", ("GET",), {}),
            ("suggested_orgs", "/orgs/suggested", "orgs.suggested_orgs", ("GET",), {}),
            ("join_org", "/orgs/<org>/join", "orgs.join_org", ("POST",), {}),
            ("get_org", "/orgs/<org:org>", "orgs.get_org", ("GET",), {}),
            ("patch_org", "/orgs/<org:org>", "orgs.patch_org", ("PATCH",), {}),
            ("delete_org", "/orgs/<org:org>", "orgs.delete_org", ("DELETE",), {}),
            ("list_members", "/orgs/<org>/members", "orgs.list_members", ("GET",), {}),
            ("change_roles", "/orgs/<org>/members/<user_id>", "orgs.change_roles", ("PATCH",), {}),
            (
                "remove_member",
                "/orgs/<org>/members/<user_id>",
                "orgs.remove_member",
                ("DELETE",),
                {},
            ),
            ("org_events", "/orgs/<org>/events", "orgs.org_events", ("GET",), {}),
        ),
    ),
    (
        "interfaces.http.routes.orgs.domains",
        (
            ("add_domain", "/orgs/<org>/domains", "org_domains.add_domain", ("POST",), {}),
            ("list_domains", "/orgs/<org>/domains", "org_domains.list_domains", ("GET",), {}),
            (
                "verify_domain",
                "/orgs/<org>/domains/<domain>/verify",
                "org_domains.verify_domain",
                ("POST",),
                {},
            ),
            (
                "delete_domain",
                "/orgs/<org>/domains/<domain>",
                "org_domains.delete_domain",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.orgs.clients",
        (
            ("create_client", "/orgs/<org>/clients", "org_clients.create_client", ("POST",), {}),
            ("list_clients", "/orgs/<org>/clients", "org_clients.list_clients", ("GET",), {}),
            (
                "delete_client",
                "/orgs/<org>/clients/<client_id>",
                "org_clients.delete_client",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.orgs.invitations",
        (
            (
                "create_invitation",
                "/orgs/<org>/invitations",
                "org_invitations.create_invitation",
                ("POST",),
                {},
            ),
            (
                "list_invitations",
                "/orgs/<org>/invitations",
                "org_invitations.list_invitations",
                ("GET",),
                {},
            ),
            (
                "revoke_invitation",
                "/orgs/<org>/invitations/<invitation_id>",
                "org_invitations.revoke_invitation",
                ("DELETE",),
                {},
            ),
            (
                "accept_invitation",
                "/orgs/invitations/accept",
                "org_invitations.accept_invitation",
                ("POST",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.sso.connections",
        (
            (
                "create_connection",
                "/orgs/<org>/connections",
                "sso_connections.create_connection",
                ("POST",),
                {},
            ),
            (
                "list_connections",
                "/orgs/<org>/connections",
                "sso_connections.list_connections",
                ("GET",),
                {},
            ),
            (
                "get_connection",
                "/orgs/<org>/connections/<connection_id>",
                "sso_connections.get_connection",
                ("GET",),
                {},
            ),
            (
                "update_connection",
                "/orgs/<org>/connections/<connection_id>",
                "sso_connections.update_connection",
                ("PATCH",),
                {},
            ),
            (
                "delete_connection",
                "/orgs/<org>/connections/<connection_id>",
                "sso_connections.delete_connection",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.sso.discovery",
        (("discover", "/sso/discover", "sso_discovery.discover", ("GET",), {}),),
    ),
    (
        "interfaces.http.routes.sso.setup_links",
        (
            (
                "make_setup_link",
                "/orgs/<org>/sso/setup-links",
                "sso_setup_links.make_setup_link",
                ("POST",),
                {},
            ),
            (
                "list_setup_links",
                "/orgs/<org>/sso/setup-links",
                "sso_setup_links.list_setup_links",
                ("GET",),
                {},
            ),
            (
                "revoke_setup_link",
                "/orgs/<org>/sso/setup-links/<connection_id>",
                "sso_setup_links.revoke_setup_link",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.scim.tokens",
        (
            (
                "create_scim_token",
                "/orgs/<org>/scim/tokens",
                "scim_tokens.create_scim_token",
                ("POST",),
                {},
            ),
            (
                "list_scim_tokens",
                "/orgs/<org>/scim/tokens",
                "scim_tokens.list_scim_tokens",
                ("GET",),
                {},
            ),
            (
                "revoke_scim_token",
                "/orgs/<org>/scim/tokens/<token_id>",
                "scim_tokens.revoke_scim_token",
                ("DELETE",),
                {},
            ),
        ),
    ),
)

COMPAT_ROUTES: tuple[TableRow, ...] = (
    (
        "interfaces.http.routes.resources.tasks_api",
        (
            ("create_user", "/users", "tasks_api.create_user", ("POST",), {}),
            ("login", "/auth/login", "tasks_api.login", ("POST",), {}),
        ),
    ),
    (
        "interfaces.http.routes.resources.dogs_api",
        (
            ("", "/api/dogs", "dogs_api.list_dogs", ("GET",), {}),
            ("", "/api/dogs/is_adopted", "dogs_api.list_adopted_dogs", ("GET",), {}),
            ("", "/api/dogs/<dog_name:name>", "dogs_api.get_dog", ("GET",), {}),
            ("", "/api/dogs/<dog_name:name>", "dogs_api.create_dog", ("POST",), {}),
            ("", "/api/dogs/<dog_name:name>", "dogs_api.update_dog", ("PUT",), {}),
            ("", "/api/dogs/<dog_name:name>", "dogs_api.delete_dog", ("DELETE",), {}),
            ("", "/api/files", "dogs_api.upload_file", ("POST",), {}),
            ("", "/api/users", "dogs_api.list_users", ("GET",), {}),
            ("", "/api/users/<user_id:user_id>", "dogs_api.get_user", ("GET",), {}),
            ("invite", "/api/users", "dogs_api.invite", ("POST",), {}),
            ("replace_user", "/api/users/<user_id:user_id>", "dogs_api.replace_user", ("PUT",), {}),
            ("patch_user", "/api/users/<user_id:user_id>", "dogs_api.patch_user", ("PATCH",), {}),
            (
                "delete_user",
                "/api/users/<user_id:user_id>",
                "dogs_api.delete_user",
                ("DELETE",),
                {},
            ),
        ),
    ),
    (
        "interfaces.http.routes.signin.login_api",
        (
            ("signup", "/api/v1/auth/signup", "login_api.signup", ("POST",), {}),
            ("login", "/api/v1/auth/login", "login_api.login", ("POST",), {}),
            ("", "/api/v1/auth/whoami", "login_api.whoami", ("GET", "POST"), {}),
            ("refresh", "/api/v1/token/refresh", "login_api.refresh", ("POST",), {}),
            ("", "/api/v1/users/", "login_api.list_users", ("GET",), {}),
            ("", "/api/v1/users/<user_id:user_id>", "login_api.get_user", ("GET",), {}),
            ("", "/api/v1/user/<user_id:user_id>", "login_api.get_user_singular", ("GET",), {}),
        ),
    ),
)
