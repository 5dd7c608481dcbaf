using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Marks one required symbol version of an ELF64 little-endian shared library as weak (VER_FLG_WEAK in the
/// vna_flags of its .gnu.version_r entry), so that the dynamic loader accepts a libstdc++ that lacks it.
/// </summary>
internal static class ElfVersionNeedPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Sets the weak flag on <paramref name="versionName"/>; returns false when the library does not require it.</summary>
    public static bool MarkVersionWeak(byte[] elf, string versionName)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("Not an ELF file.");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        }

        var span = elf.AsSpan();
        ulong sectionHeaderOffset = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        byte[] wanted = Encoding.ASCII.GetBytes(versionName);
        bool patched = false;

        for (int s = 0; s < sectionCount; s++)
        {
            var header = span.Slice(checked((int)sectionHeaderOffset + (s * sectionHeaderSize)), sectionHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            int verneedOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]));
            int linkedStringTable = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            var stringHeader = span.Slice(checked((int)sectionHeaderOffset + (linkedStringTable * sectionHeaderSize)), sectionHeaderSize);
            int stringsOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(stringHeader[0x18..]));

            int need = verneedOffset;
            while (true)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                int aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    int nameOffset = stringsOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    var name = span[nameOffset..];
                    if (name.StartsWith(wanted) && name[wanted.Length] == 0)
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                        BinaryPrimitives.WriteUInt16LittleEndian(span[(aux + 4)..], (ushort)(flags | VerFlagWeak));
                        patched = true;
                    }

                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }

                uint next = BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
                if (next == 0)
                {
                    break;
                }

                need += (int)next;
            }
        }

        return patched;
    }
}
