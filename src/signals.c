/* Async-signal-safe stop requests: the handler stores the signal number and nothing else. */
#include <repdrift/signals.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received_signal = 0;

static void RecordSignal(int signal_number) { received_signal = signal_number; }

void RdSignalsInstall(void)
{
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = RecordSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGUSR1, &action, NULL);
  /* stdout is a pipe to mpirun: when mpirun is killed the next print would kill the rank mid-round
     (PETSc's handler aborts); as a stop request the rank finishes its point and leaves cleanly */
  sigaction(SIGPIPE, &action, NULL);
}

int RdSignalReceived(void) { return (int)received_signal; }
