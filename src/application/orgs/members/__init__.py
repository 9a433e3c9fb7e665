"""An org's people: its members and their roles, the roles' permissions and the grants of them,
and the profile attributes the org writes on the accounts it manages."""
