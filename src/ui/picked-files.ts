/** Files a person picked or dropped, with their paths inside the folders they came in. */

/**
 * A picked file's path in the folder picked: its folders from webkitRelativePath, its name from
 * `name`, since Chromium reports a `\` in a name as `/` there.
 */
export function pickedPath(file: File): string {
  const relative = file.webkitRelativePath;
  return relative ? `${relative.slice(0, relative.length - file.name.length)}${file.name}` : file.name;
}

export async function droppedFiles(entries: FileSystemEntry[]): Promise<{ file: File; path: string }[]> {
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: `${path}${file.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${path}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}
