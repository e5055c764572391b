build/certd/err.o: certd/err.c certd/err.h acme/acme.h
certd/err.h:
acme/acme.h:
