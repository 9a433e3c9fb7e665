"""How a person comes into an org: by its verified domains (joining by domain, the automatic
join), or by an invitation."""
