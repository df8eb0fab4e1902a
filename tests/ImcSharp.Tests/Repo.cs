namespace ImcSharp.Tests;

/// <summary>Paths inside the repository (configs shipped with the product).</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "ImcSharp.slnx"))) return d.FullName;
        throw new InvalidOperationException("repository root (ImcSharp.slnx) not found above " + AppContext.BaseDirectory);
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());
}
