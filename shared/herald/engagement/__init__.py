"""What a recipient does with an email after it is sent: opens, clicks, unsubscribes.

``tokens`` signs the links, ``links`` builds their URLs, ``email`` adds them to
a rendered email, ``choices`` reads and writes a recipient's topic choices, and
``pages`` draws the public HTML pages the links lead to.
"""
