build/tests/unit/main.o: tests/unit/main.c build/tests/unit/suites.inc
build/tests/unit/suites.inc:
