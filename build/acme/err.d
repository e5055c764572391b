build/acme/err.o: acme/err.c acme/acme_int.h acme/acme.h
acme/acme_int.h:
acme/acme.h:
