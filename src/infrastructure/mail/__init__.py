"""Mail: Jinja2 templates rendered to text and HTML, sent over SMTP (docs/reference/email.md)."""
