build/tests/unit/check_util.o: tests/unit/check_util.c acme/acme_int.h \
 acme/acme.h certd/buf.h certd/file.h certd/err.h certd/util.h
acme/acme_int.h:
acme/acme.h:
certd/buf.h:
certd/file.h:
certd/err.h:
certd/util.h:
