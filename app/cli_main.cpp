// diffii: the headless command-line front over the same core jobs as the GUI.
#include <cstdio>
#include <string>

int main(int argc, char* argv[]) {
    std::fprintf(stderr, "diffii: not yet implemented\n");
    return argc > 1 ? 2 : 0;
}
