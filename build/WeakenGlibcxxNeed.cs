using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK (0x2) on the Vernaux entry named <see cref="Version"/> in .gnu.version_r of
/// each ELF64 little-endian library, when the system libstdc++ (the one the loader resolves,
/// from `ldconfig -p`, else the usual paths) does not define that version, and only when no
/// dynamic symbol but the link-time marker <see cref="Marker"/> is bound to that version (checked
/// in .gnu.version against .dynsym): weakening a version a real symbol needs would hide a missing
/// function until it is called. Writes a temporary file and renames it over the original, so a
/// failed build never leaves a half-written library.
/// </summary>
public class WeakenGlibcxxNeed : Task
{
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff, ShtDynsym = 11;
    /// <summary>The only symbol allowed to need the weakened version: libstdc++'s iostream-init marker (GCC 13), which has no relocation.</summary>
    const string Marker = "_ZSt21ios_base_library_initv";
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (SystemHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ defines {Version}; libLibTorchSharp.so left as shipped.");
            return true;
        }
        foreach (var item in Libraries)
        {
            var path = item.ItemSpec;
            try
            {
                var result = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {result}");
            }
            catch (Exception e)
            {
                Log.LogError($"{path}: cannot mark {Version} weak: {e.Message}");
                return false;
            }
        }
        return true;
    }

    bool SystemHasVersion()
    {
        var needle = Encoding.ASCII.GetBytes(Version + "\0");
        foreach (var candidate in LoaderLibStdCxx().Concat(LibStdCxxCandidates))
        {
            if (!File.Exists(candidate)) continue;
            if (IndexOf(File.ReadAllBytes(candidate), needle) >= 0) return true;
        }
        return false;
    }

    /// <summary>The libstdc++.so.6 paths the dynamic loader's cache lists for this machine (`ldconfig -p`).</summary>
    static string[] LoaderLibStdCxx()
    {
        foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
        {
            try
            {
                var psi = new System.Diagnostics.ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                using var p = System.Diagnostics.Process.Start(psi);
                if (p == null) continue;
                var text = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                var found = new System.Collections.Generic.List<string>();
                foreach (var line in text.Split('\n'))
                {
                    var l = line.Trim();
                    int arrow = l.IndexOf("=> ", StringComparison.Ordinal);
                    if (l.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && arrow > 0) found.Add(l.Substring(arrow + 3).Trim());
                }
                return found.ToArray();
            }
            catch (Exception) { }
        }
        return Array.Empty<string>();
    }

    /// <summary>Names of the dynamic symbols bound to version index <paramref name="index"/>.</summary>
    static System.Collections.Generic.List<string> SymbolsOfVersion(byte[] elf, ulong shoff, int shentsize, int shnum, int index)
    {
        int versym = -1, dynsym = -1;
        for (int s = 0; s < shnum; s++)
        {
            uint type = BitConverter.ToUInt32(elf, checked((int)shoff + s * shentsize) + 4);
            if (type == ShtGnuVersym) versym = s;
            else if (type == ShtDynsym) dynsym = s;
        }
        var names = new System.Collections.Generic.List<string>();
        if (versym < 0 || dynsym < 0) throw new InvalidDataException("no .gnu.version or .dynsym section: cannot tell which symbols need the version");
        int Sh(int s) => checked((int)shoff + s * shentsize);
        int verOff = checked((int)BitConverter.ToUInt64(elf, Sh(versym) + 24));
        int symOff = checked((int)BitConverter.ToUInt64(elf, Sh(dynsym) + 24));
        long symSize = (long)BitConverter.ToUInt64(elf, Sh(dynsym) + 32), symEnt = (long)BitConverter.ToUInt64(elf, Sh(dynsym) + 56);
        int strOff = checked((int)BitConverter.ToUInt64(elf, Sh((int)BitConverter.ToUInt32(elf, Sh(dynsym) + 40)) + 24));
        for (long i = 0; i < symSize / symEnt; i++)
        {
            if ((BitConverter.ToUInt16(elf, verOff + (int)(2 * i)) & 0x7fff) != index) continue;
            names.Add(ReadCString(elf, strOff + (int)BitConverter.ToUInt32(elf, symOff + (int)(i * symEnt))));
        }
        return names;
    }

    string Patch(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not ELF64 little-endian");

        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)shoff + s * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int secOff = checked((int)BitConverter.ToUInt64(elf, sh + 24));
            int link = (int)BitConverter.ToUInt32(elf, sh + 40);
            int count = (int)BitConverter.ToUInt32(elf, sh + 44);
            int strOff = checked((int)BitConverter.ToUInt64(elf, (int)shoff + link * shentsize + 24));

            int vn = secOff;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, vn + 2);
                int aux = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int nameOff = strOff + (int)BitConverter.ToUInt32(elf, aux + 8);
                    if (ReadCString(elf, nameOff) == Version)
                    {
                        int index = BitConverter.ToUInt16(elf, aux + 6);
                        var users = SymbolsOfVersion(elf, shoff, shentsize, shnum, index);
                        var others = users.FindAll(u => u != Marker);
                        if (others.Count > 0)
                            throw new InvalidDataException($"{others.Count} symbol(s) besides {Marker} need {Version} (e.g. {others[0]}): weakening it would hide them; install a libstdc++ that defines {Version}");
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return $"{Version} already weak";
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)(flags & 0xff);
                        elf[aux + 5] = (byte)(flags >> 8);
                        var tmp = path + ".imcpatch.tmp";
                        File.WriteAllBytes(tmp, elf);
                        File.Replace(tmp, path, null);
                        return $"marked {Version} weak (system libstdc++ lacks it)";
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                vn += (int)BitConverter.ToUInt32(elf, vn + 12);
            }
        }
        return $"no version need on {Version}; nothing to do";
    }

    static string ReadCString(byte[] data, int offset)
    {
        int end = offset;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, offset, end - offset);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
