"""The settings groups of what is built on the accounts: organizations and their single
sign-on, the OpenID provider for apps, the template resources and migration."""
