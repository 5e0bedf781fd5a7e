using PayConnect.DevHost;

return await DevHostApp.RunAsync(args);
