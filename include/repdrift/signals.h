/* SIGTERM and SIGUSR1 (Slurm's warning before the time limit, preemption), and SIGPIPE (the reader of
 * our output, e.g. a killed mpirun, is gone) ask the run to stop after the current point: the
 * handler only records the signal; the sweep loop checks between rounds. */
#ifndef REPDRIFT_SIGNALS_H
#define REPDRIFT_SIGNALS_H

/* Exit code of a run stopped by a signal, archive marked "interrupted" (EX_TEMPFAIL: try again). */
#define RD_EXIT_INTERRUPTED 75

void RdSignalsInstall(void);
/* The signal received so far (0 if none). */
int  RdSignalReceived(void);

#endif
