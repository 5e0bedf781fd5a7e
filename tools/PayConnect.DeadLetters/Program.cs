using PayConnect.DeadLetters;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await DeadLetterCommand.RunAsync(args, Console.Out, Console.Error, cancel.Token);
