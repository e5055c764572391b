build/certd/log.o: certd/log.c certd/log.h
certd/log.h:
