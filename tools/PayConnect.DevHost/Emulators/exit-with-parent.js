// Preloaded into Azurite (node --require) by the PayConnect dev host, which holds this process's stdin open.
// When stdin closes - the dev host stopped, crashed or was killed - Azurite shuts down as it does on Ctrl+C,
// saving its data, and the process ends instead of outliving the dev host and keeping the port.
'use strict';

let stopping = false;

function stop() {
  if (stopping) {
    return;
  }

  stopping = true;
  if (process.listenerCount('SIGINT') > 0) {
    process.emit('SIGINT');
  }

  setTimeout(() => process.exit(0), 3000).unref();
}

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
