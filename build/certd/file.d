build/certd/file.o: certd/file.c certd/file.h certd/err.h
certd/file.h:
certd/err.h:
