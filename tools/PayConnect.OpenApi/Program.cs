using PayConnect.OpenApi;

// dotnet run --project tools/PayConnect.OpenApi -- <file>           writes the document (functions/openapi.json)
// dotnet run --project tools/PayConnect.OpenApi -- --check <file>   exits 1 when the file differs from a fresh document
var check = args.Length == 2 && args[0] == "--check";
if (!(args.Length == 1 || check))
{
    Console.Error.WriteLine("Usage: PayConnect.OpenApi [--check] <path of openapi.json>");
    return 2;
}

var path = Path.GetFullPath(args[^1]);
var document = OpenApiGenerator.Generate();
if (check)
{
    var current = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    if (current != document)
    {
        Console.Error.WriteLine($"{path} is stale: run dotnet run --project tools/PayConnect.OpenApi -- {args[^1]}");
        return 1;
    }

    Console.WriteLine($"{path} is up to date.");
    return 0;
}

File.WriteAllText(path, document);
Console.WriteLine($"Wrote {path} ({document.Count(c => c == '\n')} lines).");
return 0;
