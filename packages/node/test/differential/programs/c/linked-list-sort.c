/* A singly linked list built with malloc, merge-sorted, then freed (Rosetta Code: Sorting algorithms/Merge sort). */
#include <stdio.h>
#include <stdlib.h>

struct node { int value; struct node *next; };

static struct node *merge(struct node *a, struct node *b) {
    struct node head = {0, NULL}, *tail = &head;
    while (a && b) {
        if (a->value <= b->value) { tail->next = a; a = a->next; }
        else { tail->next = b; b = b->next; }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return head.next;
}
static struct node *sort(struct node *list) {
    if (!list || !list->next) return list;
    struct node *slow = list, *fast = list->next;
    while (fast && fast->next) { slow = slow->next; fast = fast->next->next; }
    struct node *second = slow->next;
    slow->next = NULL;
    return merge(sort(list), sort(second));
}

int main(void) {
    struct node *list = NULL;
    unsigned x = 2463534242u;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        struct node *n = malloc(sizeof *n);
        n->value = (int)(x % 100000);
        n->next = list;
        list = n;
    }
    list = sort(list);
    long long sum = 0;
    int count = 0, prev = -1, ordered = 1;
    for (struct node *p = list; p; p = p->next) {
        if (count < 10 || count % 10000 == 0) printf("#%d: %d\n", count, p->value);
        ordered &= p->value >= prev;
        prev = p->value;
        sum += p->value;
        count++;
    }
    printf("count=%d sum=%lld ordered=%d max=%d\n", count, sum, ordered, prev);
    while (list) { struct node *next = list->next; free(list); list = next; }
    return 0;
}
