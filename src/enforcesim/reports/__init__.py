"""Report rendering: Jinja2 templates (package data under templates/, HTML autoescaped) and
the page they fill. The study tools compute the numbers and draw the figures; the templates
hold the words around them."""
