build/certd/buf.o: certd/buf.c certd/buf.h
certd/buf.h:
