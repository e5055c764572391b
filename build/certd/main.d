build/certd/main.o: certd/main.c
