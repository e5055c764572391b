build/certd/util.o: certd/util.c certd/util.h certd/log.h
certd/util.h:
certd/log.h:
